import { defineConfig } from "@playwright/test";
import { E2E_ADMIN_PASSWORD } from "./e2e/auth-helpers";
import { E2E_SIGNAL_SECRET } from "./e2e/desk-helpers";
import { E2E_WEBHOOK_SECRET, E2E_WEBHOOK_URL } from "./e2e/notify-helpers";
import { appServer, chromiumUse, localUrl, serialRun } from "./e2e/support/playwright-base";

// Each run serves the built app on a fresh SQLite file in replay mode, on the one-symbol BTC/USDT desk the specs are written
// for (the zero-config default is the ten-symbol portfolio desk; BASTION_SYMBOL=BTC/USDT picks today's desk). The built-in
// strategy is off so that every position comes from the specs' own webhook signals (deterministic); the replay
// feed still moves the marks live.
const port = Number(process.env.E2E_PORT ?? 3199);
const dbFile = "e2e/.tmp/e2e.db";

export default defineConfig({
  ...serialRun,
  // Run on their own desks: the ten-symbol portfolio (playwright.allocation.config.ts), the arbitrage desk (playwright.arbitrage.config.ts).
  testIgnore: ["allocation.spec.ts", "arbitrage.spec.ts"],
  outputDir: "test-results",
  timeout: 30_000,
  use: chromiumUse(localUrl(port)),
  webServer: appServer(port, "rm -rf e2e/.tmp && mkdir -p e2e/.tmp", {
    DATABASE_URL: `file:./${dbFile}`,
    BASTION_MODE: "replay",
    BASTION_SYMBOL: "BTC/USDT",
    BASTION_ADMIN_PASSWORD: E2E_ADMIN_PASSWORD, // the first start creates `admin` with it
    BASTION_STRATEGY: "off",
    BASTION_SIGNAL_SECRET: E2E_SIGNAL_SECRET,
    // The notifications spec listens there; other specs' emergency stops just fail to deliver (recorded, retried).
    BASTION_NOTIFY_WEBHOOK_URL: E2E_WEBHOOK_URL,
    BASTION_NOTIFY_WEBHOOK_SECRET: E2E_WEBHOOK_SECRET,
  }),
});
