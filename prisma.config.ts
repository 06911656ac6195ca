import { defineConfig } from "prisma/config";
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";

// The CLI skips .env when a config file exists; the default database lives under data/ (git-ignored).
process.env.DATABASE_URL ??= "file:./data/bastion.db";

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: "prisma/schema.prisma",
  adapter() {
    return Promise.resolve(new PrismaBetterSQLite3({ url: process.env.DATABASE_URL! }));
  },
});
