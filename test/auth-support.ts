/** Test helpers for auth and API tests: a fresh migrated SQLite file behind `db()`, cheap scrypt parameters. */
import { rmSync } from "node:fs";
import { dirname } from "node:path";
import { createDbClient, setDbForTests } from "../server/db/client";
import { type PrismaClient } from "../server/db/generated/client";
import { createMigratedDb } from "./db";
import { type ScryptParams } from "../server/auth/password";

/** Much cheaper than production (N=2^15); the hash string records them, so verification works the same. */
export const FAST_SCRYPT: ScryptParams = { N: 1024, r: 8, p: 1 };

export interface TestDb {
  client: PrismaClient;
  path: string;
  close(): Promise<void>;
}

/** Points `db()` at a fresh migrated database; `close()` disconnects, forgets it and deletes the files. */
export function useFreshDb(): TestDb {
  const path = createMigratedDb();
  const client = createDbClient(`file:${path}`);
  setDbForTests(client);
  return {
    client,
    path,
    async close() {
      await client.$disconnect();
      setDbForTests(undefined);
      rmSync(dirname(path), { recursive: true, force: true });
    },
  };
}
