import { defineConfig } from "@playwright/test";
import { E2E_ADMIN_PASSWORD } from "./e2e/auth-helpers";
import { appServer, chromiumUse, localUrl, serialRun } from "./e2e/support/playwright-base";

/**
 * The zero-config desk end to end: `npm start` with nothing set but a fresh database and the first admin's password —
 * the ten-symbol Bittrex replay with its two built-in strategies (sma-cross, rsi-reversion), equity in BTC. Its own
 * server, port and SQLite file, because playwright.config.ts pins the one-symbol BTC/USDT desk with the strategy off.
 * Run after `npm run build`: `npx playwright test -c playwright.portfolio.config.ts` (npm run test:e2e runs it too).
 */
const port = Number(process.env.E2E_PORTFOLIO_PORT ?? 3197);
const tmp = "e2e/.tmp/portfolio";

export const PORTFOLIO_E2E = { appUrl: localUrl(port) };

export default defineConfig({
  ...serialRun,
  testMatch: "portfolio-desk.spec.ts",
  outputDir: "test-results/portfolio",
  timeout: 90_000,
  expect: { timeout: 15_000 },
  use: chromiumUse(PORTFOLIO_E2E.appUrl),
  // No BASTION_* beyond the admin's password: what a new user gets (a developer's git-ignored config/desk.yaml would still apply).
  webServer: appServer(port, `rm -rf ${tmp} && mkdir -p ${tmp}`, {
    DATABASE_URL: `file:./${tmp}/e2e.db`,
    BASTION_ADMIN_PASSWORD: E2E_ADMIN_PASSWORD,
  }),
});
