import { defineConfig } from "@playwright/test";
import { E2E_ADMIN_PASSWORD } from "./e2e/auth-helpers";

/**
 * The zero-config desk end to end: `npm start` with nothing set but a fresh database and the first admin's password —
 * the ten-symbol Bittrex replay with its two built-in strategies (sma-cross, rsi-reversion), equity in BTC. Its own
 * server, port and SQLite file, because playwright.config.ts pins the one-symbol BTC/USDT desk with the strategy off.
 * Run after `npm run build`: `npx playwright test -c playwright.portfolio.config.ts` (npm run test:e2e runs it too).
 */
const port = Number(process.env.E2E_PORTFOLIO_PORT ?? 3197);
const tmp = "e2e/.tmp/portfolio";

export const PORTFOLIO_E2E = { appUrl: `http://127.0.0.1:${port}` };

export default defineConfig({
  testDir: "e2e",
  testMatch: "portfolio-desk.spec.ts",
  outputDir: "test-results/portfolio",
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [["list"]],
  timeout: 90_000,
  expect: { timeout: 15_000 },
  use: {
    baseURL: PORTFOLIO_E2E.appUrl,
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
    },
  },
  webServer: {
    // No BASTION_* beyond the admin's password: what a new user gets (a developer's git-ignored config/desk.yaml would still apply).
    command: `rm -rf ${tmp} && mkdir -p ${tmp} && npx prisma migrate deploy && npx next start -H 127.0.0.1 -p ${port}`,
    url: `http://127.0.0.1:${port}/api/health`,
    reuseExistingServer: false,
    timeout: 120_000,
    env: {
      DATABASE_URL: `file:./${tmp}/e2e.db`,
      NEXT_TELEMETRY_DISABLED: "1",
      BASTION_ADMIN_PASSWORD: E2E_ADMIN_PASSWORD,
    },
    stdout: "ignore",
    stderr: "pipe",
  },
});
