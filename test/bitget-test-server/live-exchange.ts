/**
 * The ccxt pair (trading and emergency instances) Bastion's live configuration builds for the Bitget test server
 * (spot, passphrase included), for tests that run the live path against it.
 */
import type { Exchange } from "ccxt";
import { createLiveExchange, loadLiveConfig, LIVE_OPT_IN_VALUE } from "../../server/venues/ccxt/live-config";
import { BITGET_TEST_API_KEY, BITGET_TEST_API_SECRET, BITGET_TEST_PASSPHRASE } from "./server";

/** Built as production builds them, from the environment a desk pointed at `url` would have (no .env is read). */
export function bitgetLiveExchangesFor(url: string, options: { timeoutMs: number }): { exchange: Exchange; emergency: Exchange } {
  const config = loadLiveConfig(
    {
      BASTION_EXCHANGE: "bitget",
      BASTION_API_KEY: BITGET_TEST_API_KEY,
      BASTION_API_SECRET: BITGET_TEST_API_SECRET,
      BASTION_API_PASSWORD: BITGET_TEST_PASSPHRASE,
      BASTION_API_URL: url,
      BASTION_MARKET_TYPES: "spot",
      BASTION_LIVE_OPT_IN: LIVE_OPT_IN_VALUE,
    },
    { cwd: "/nonexistent-bastion-dir" },
  );
  if (!config.ok) throw new Error(config.error.message);
  return createLiveExchange(config.value, { timeoutMs: options.timeoutMs });
}
