/** Test helper: a fresh SQLite file with every committed migration applied (faster than `prisma migrate deploy`). */
import Database from "better-sqlite3";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const MIGRATIONS = join(import.meta.dirname, "..", "prisma", "migrations");

/** The committed migrations' folder names, in the order they apply. */
export function migrationNames(): string[] {
  return readdirSync(MIGRATIONS, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
}

/** One migration's SQL, by its folder name. */
export function migrationSqlOf(name: string): string {
  return readFileSync(join(MIGRATIONS, name, "migration.sql"), "utf8");
}

export function migrationSql(): string[] {
  return migrationNames().map(migrationSqlOf);
}

/** Creates `<dir>/bastion.db` (dir defaults to a new temp dir) with the schema applied; returns its path. */
export function createMigratedDb(dir: string = mkdtempSync(join(tmpdir(), "bastion-test-"))): string {
  const path = join(dir, "bastion.db");
  const db = new Database(path);
  db.pragma("journal_mode = WAL");
  for (const sql of migrationSql()) db.exec(sql);
  db.close();
  return path;
}
