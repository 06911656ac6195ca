import { defineConfig } from "@playwright/test";
import base from "./playwright.config";

// The ten-symbol portfolio desk (the zero-config replay default, BASTION_SYMBOL unset, its own port and database) for the specs that need a real
// correlation between symbols (e2e/allocation.spec.ts); the strategies stay off so every entry is the spec's own.
const port = Number(process.env.E2E_ALLOCATION_PORT ?? 3198);
const dbFile = "e2e/.tmp-allocation/e2e.db";
const env: Record<string, string> = { ...(base.webServer as { env: Record<string, string> }).env, DATABASE_URL: `file:./${dbFile}` };
delete env.BASTION_SYMBOL;
// A point (figures and target weights) every minute, so the spec sees the allocation history within the run.
env.BASTION_PORTFOLIO_POINT_MINUTES = "1";

export default defineConfig({
  ...base,
  testMatch: "allocation.spec.ts",
  testIgnore: [],
  outputDir: "test-results/allocation",
  use: { ...base.use, baseURL: `http://127.0.0.1:${port}` },
  webServer: {
    ...(base.webServer as object),
    command: `rm -rf e2e/.tmp-allocation && mkdir -p e2e/.tmp-allocation && DATABASE_URL=file:./${dbFile} npx prisma migrate deploy && npx next start -H 127.0.0.1 -p ${port}`,
    url: `http://127.0.0.1:${port}/api/health`,
    env,
  },
});
