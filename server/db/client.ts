/** The Prisma client singleton (SQLite through better-sqlite3, js engine). Survives dev hot reloads. */
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaClient } from "./generated/client";
import { appConfig } from "../config";

const globalForDb = globalThis as unknown as { bastionPrisma?: PrismaClient };

export function db(): PrismaClient {
  globalForDb.bastionPrisma ??= new PrismaClient({ adapter: new PrismaBetterSQLite3({ url: appConfig().databaseUrl }) });
  return globalForDb.bastionPrisma;
}
