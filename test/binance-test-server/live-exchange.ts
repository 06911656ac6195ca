/**
 * The ccxt pair (trading and emergency instances) Bastion's live configuration builds for the Binance test server,
 * for engine tests that run the live path against it.
 */
import type { Exchange } from "ccxt";
import { createLiveExchange, loadLiveConfig, LIVE_OPT_IN_VALUE } from "../../server/venues/ccxt/live-config";
import { TEST_API_KEY, TEST_API_SECRET } from "./server";

/** Built as production builds them, from the environment a desk pointed at `url` would have (no .env is read). */
export function liveExchangesFor(url: string, options: { timeoutMs: number; unthrottled?: boolean }): { exchange: Exchange; emergency: Exchange } {
  const config = loadLiveConfig(
    { BASTION_API_KEY: TEST_API_KEY, BASTION_API_SECRET: TEST_API_SECRET, BASTION_API_URL: url, BASTION_LIVE_OPT_IN: LIVE_OPT_IN_VALUE },
    { cwd: "/nonexistent-bastion-dir" },
  );
  if (!config.ok) throw new Error(config.error.message);
  const exchanges = createLiveExchange(config.value, { timeoutMs: options.timeoutMs });
  if (options.unthrottled) {
    // ccxt paces requests by Binance's weights (fetchMyTrades costs 20 × 50 ms); the test exchange has no weight
    // limit, so a faster bucket keeps a long run short without changing what is sent.
    for (const instance of [exchanges.exchange, exchanges.emergency]) {
      instance.rateLimit = 1;
      instance.tokenBucket = { ...instance.tokenBucket, refillRate: 1, rateLimit: 1 };
      instance.initThrottler();
    }
  }
  return exchanges;
}
