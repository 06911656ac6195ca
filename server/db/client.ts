/** The Prisma client singleton (SQLite through better-sqlite3, js engine). Survives dev hot reloads. */
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaClient } from "./generated/client";
import { appConfig } from "../config";

const globalForDb = globalThis as unknown as { bastionPrisma?: PrismaClient };

/** A new client on the given SQLite url (`file:./x.db` or a plain path). Callers own it (disconnect when done). */
export function createDbClient(url: string): PrismaClient {
  return new PrismaClient({ adapter: new PrismaBetterSQLite3({ url }) });
}

export function db(): PrismaClient {
  globalForDb.bastionPrisma ??= createDbClient(appConfig().databaseUrl);
  return globalForDb.bastionPrisma;
}

/**
 * Tests only: make `db()` return this client (e.g. `createDbClient(createMigratedDb())`), or pass undefined
 * to forget it (the next `db()` opens DATABASE_URL again). The previous client is not disconnected.
 */
export function setDbForTests(client: PrismaClient | undefined): void {
  globalForDb.bastionPrisma = client;
}
