import { defineConfig } from "@playwright/test";
import { E2E_ADMIN_PASSWORD } from "./e2e/auth-helpers";
import { appServer, chromiumUse, localUrl, serialRun, server } from "./e2e/support/playwright-base";

/**
 * LIVE mode end to end: the Binance-compatible test exchange (simulated fills, the recorded BTC/USDT candles
 * replayed at 600×) on 127.0.0.1, and the built app in LIVE mode pointed at it with the test keys and the opt-in,
 * on its own fresh SQLite file. Run after `npm run build`: `npx playwright test -c playwright.live.config.ts`.
 */
const appPort = Number(process.env.E2E_LIVE_PORT ?? 3198);
const exchangePort = Number(process.env.E2E_LIVE_EXCHANGE_PORT ?? 4198);
const tmp = "e2e/.tmp/live";

/** What the spec needs to know about the servers started here. */
export const LIVE_E2E = {
  appUrl: localUrl(appPort),
  exchangeUrl: localUrl(exchangePort),
  // The test exchange's key and secret (test/binance-test-server/server.ts): test values, not secrets.
  apiKey: "bastion-test-key-0000000000000000000000000000000000000000000000",
  apiSecret: "bastion-test-secret-000000000000000000000000000000000000000000000",
  signalSecret: "e2e-live-signal-secret-0123456789",
  symbol: "BTC/USDT",
};

export default defineConfig({
  ...serialRun,
  testMatch: "live.spec.ts",
  outputDir: "test-results/live",
  timeout: 90_000,
  expect: { timeout: 15_000 },
  use: chromiumUse(LIVE_E2E.appUrl),
  // Started in this order: the exchange first, then the app that connects to it.
  webServer: [
    server({
      command: `npx tsx -C react-server scripts/binance-test-server.ts --port ${exchangePort} --replay data/market/btc-usdt_5m_2023-01-02_2023-02-09.csv --speed 600`,
      url: `${LIVE_E2E.exchangeUrl}/api/v3/ping`,
      timeout: 60_000,
    }),
    // An empty live settings file, so a developer's git-ignored data/live.json never leaks into the run.
    appServer(appPort, `rm -rf ${tmp} && mkdir -p ${tmp} && echo '{}' > ${tmp}/live.json && chmod 600 ${tmp}/live.json`, {
      DATABASE_URL: `file:./${tmp}/e2e.db`,
      BASTION_ADMIN_PASSWORD: E2E_ADMIN_PASSWORD,
      BASTION_MODE: "live",
      BASTION_EXCHANGE: "binance",
      BASTION_API_URL: LIVE_E2E.exchangeUrl,
      BASTION_API_KEY: LIVE_E2E.apiKey,
      BASTION_API_SECRET: LIVE_E2E.apiSecret,
      BASTION_LIVE_OPT_IN: "I_UNDERSTAND_REAL_MONEY",
      BASTION_LIVE_CONFIG: `${tmp}/live.json`,
      BASTION_SYMBOL: LIVE_E2E.symbol,
      BASTION_STRATEGY: "off",
      BASTION_SIGNAL_SECRET: LIVE_E2E.signalSecret,
      BASTION_POLL_MS: "500",
      BASTION_VENUE_POLL_MS: "500",
      // Reconciliation every 5 s (60 s by default), so an order placed behind Bastion's back shows up quickly.
      BASTION_RECONCILE_MS: "5000",
      // Requests wait 20 s for an answer (10 s by default): the emergency drill leaves a cancel-all unanswered, and the
      // trader's second press must land while the stop still waits for it, however busy the machine.
      BASTION_LIVE_TIMEOUT_MS: "20000",
    }),
  ],
});
