import { defineConfig } from "@playwright/test";
import base from "./playwright.config";
import { appServer, chromiumUse, localUrl } from "./e2e/support/playwright-base";

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
  use: chromiumUse(localUrl(port)),
  // Playwright hands `env` (DATABASE_URL included) to the whole command, prisma's migration as well.
  webServer: appServer(port, "rm -rf e2e/.tmp-allocation && mkdir -p e2e/.tmp-allocation", env),
});
