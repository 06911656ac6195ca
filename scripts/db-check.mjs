// Drift check: the committed migrations must build exactly the schema that prisma/schema.prisma describes.
// (`prisma migrate diff --from-migrations` cannot replay multi-statement migrations through the
// better-sqlite3 adapter's shadow database here — P3006 — so we compare two real SQLite databases.)
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";

const root = join(import.meta.dirname, "..");
const migrationsDir = join(root, "prisma", "migrations");

function schemaOf(sqlScripts) {
  const db = new Database(":memory:");
  for (const sql of sqlScripts) db.exec(sql);
  const rows = db
    .prepare("SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' AND name != '_prisma_migrations' ORDER BY type, name")
    .all();
  db.close();
  return rows.map((r) => `${r.type} ${r.name}: ${String(r.sql).replace(/\s+/g, " ").trim()}`);
}

const migrations = readdirSync(migrationsDir, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort()
  .map((name) => readFileSync(join(migrationsDir, name, "migration.sql"), "utf8"));

const fromSchema = execFileSync(
  join(root, "node_modules", ".bin", "prisma"),
  ["migrate", "diff", "--from-empty", "--to-schema-datamodel", "prisma/schema.prisma", "--script"],
  {
    cwd: root,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, DATABASE_URL: process.env.DATABASE_URL ?? "file:./data/bastion.db" },
  },
);

// Triggers live in migrations only (Prisma's schema cannot describe them): compared against this list instead.
const EXPECTED_TRIGGERS = ["audit_log_no_delete", "audit_log_no_update"];
const isTrigger = (x) => x.startsWith("trigger ");
const all = schemaOf(migrations);
const triggers = all
  .filter(isTrigger)
  .map((x) => x.split(" ")[1].replace(/:$/, ""))
  .sort();
if (JSON.stringify(triggers) !== JSON.stringify(EXPECTED_TRIGGERS)) {
  console.error(`prisma/migrations create the triggers [${triggers.join(", ")}]; expected [${EXPECTED_TRIGGERS.join(", ")}].`);
  process.exit(1);
}
const a = all.filter((x) => !isTrigger(x));
const b = schemaOf([fromSchema]);
const onlyMigrations = a.filter((x) => !b.includes(x));
const onlySchema = b.filter((x) => !a.includes(x));
if (onlyMigrations.length || onlySchema.length) {
  console.error("prisma/schema.prisma and prisma/migrations disagree. Create a migration with:");
  console.error("  npx prisma migrate diff --from-migrations … (see README) or write the SQL by hand.\n");
  for (const x of onlySchema) console.error(`  schema only:     ${x}`);
  for (const x of onlyMigrations) console.error(`  migrations only: ${x}`);
  process.exit(1);
}
console.log(`db:check: ${migrations.length} migration(s) match prisma/schema.prisma (${a.length} tables and indexes; triggers ${triggers.join(", ")})`);
