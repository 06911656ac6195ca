import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const root = fileURLToPath(new URL(".", import.meta.url));
const ALL = ["server/**/*.test.ts", "scripts/**/*.test.ts", "components/**/*.test.ts", "test/**/*.test.ts"];

/** Processes killed mid-write and restarted: slow by nature, run on their own. */
const CRASH = ["server/engine/crash*.test.ts", "server/engine/chaos*.test.ts"];
const isCrash = (file: string) => /^server\/engine\/(crash|chaos)[^/]*\.test\.ts$/.test(file);

/**
 * Integration: a test that opens a real SQLite file, spawns a process or serves HTTP. Decided by what the file
 * uses (its imports), so a new test lands in the right project without a list to keep; the few that reach
 * SQLite only through a helper of their own are named.
 */
const INTEGRATION_USES =
  /\b(?:useFreshDb|BinanceTestServer)\b|from "[^"]*(?:test\/db|sqlite-store|desk-support|risk-support|http-support|binance-test-server|node:child_process|better-sqlite3)"/;
const INTEGRATION_NAMED = ["scripts/bench/bench.test.ts"];

const testFiles = ["server", "scripts", "components", "test"].flatMap((dir) =>
  readdirSync(join(root, dir), { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".test.ts"))
    .map((f) => `${dir}/${f.split("\\").join("/")}`),
);
const integrationFiles = testFiles
  .filter((file) => !isCrash(file))
  .filter((file) => INTEGRATION_NAMED.includes(file) || INTEGRATION_USES.test(readFileSync(join(root, file), "utf8")));

export default defineConfig({
  resolve: {
    alias: {
      "@": root,
      // The marker throws outside Next's server layers; tests are server code.
      "server-only": fileURLToPath(new URL("node_modules/server-only/empty.js", import.meta.url)),
    },
  },
  test: {
    environment: "node",
    pool: "forks",
    // Shared, noisy 2-core machines: a slow run is not a failure (speed lives in `npm run bench`).
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // `npx vitest run --project unit` for the fast loop; `npm run test:unit` runs all three.
    projects: [
      { extends: true, test: { name: "unit", include: ALL, exclude: [...CRASH, ...integrationFiles, "**/node_modules/**"] } },
      { extends: true, test: { name: "integration", include: integrationFiles } },
      { extends: true, test: { name: "crash", include: CRASH } },
    ],
  },
});
