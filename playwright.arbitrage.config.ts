import { defineConfig } from "@playwright/test";
import base from "./playwright.config";
import { appServer, chromiumUse, localUrl } from "./e2e/support/playwright-base";

// The arbitrage desk (config/desk.arbitrage.example.yaml: BTC/USDC on a simulated Binance.US against BTC/USD on a simulated
// Kraken, the recorded March 2023 data from two hours before the USDC de-peg) for e2e/arbitrage.spec.ts: its own port
// (E2E_ARBITRAGE_PORT, else E2E_PORT, else 3199) and database. BASTION_SYMBOL is unset so the desk file's two symbols hold.
const port = Number(process.env.E2E_ARBITRAGE_PORT ?? process.env.E2E_PORT ?? 3199);
const dir = "e2e/.tmp-arbitrage";
const env: Record<string, string> = {
  ...(base.webServer as { env: Record<string, string> }).env,
  DATABASE_URL: `file:./${dir}/e2e.db`,
  BASTION_CONFIG: "config/desk.arbitrage.example.yaml",
};
delete env.BASTION_SYMBOL;
delete env.BASTION_NOTIFY_WEBHOOK_URL;
delete env.BASTION_NOTIFY_WEBHOOK_SECRET;

export default defineConfig({
  ...base,
  testMatch: "arbitrage.spec.ts",
  testIgnore: [],
  outputDir: "test-results/arbitrage",
  timeout: 90_000,
  use: chromiumUse(localUrl(port)),
  // Playwright hands `env` (DATABASE_URL included) to the whole command, prisma's migration as well.
  webServer: appServer(port, `rm -rf ${dir} && mkdir -p ${dir}`, env),
});
