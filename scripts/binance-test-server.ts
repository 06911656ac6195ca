/**
 * `npx tsx -C react-server scripts/binance-test-server.ts --port 4010 --replay data/market/btc-usdt_5m_2023-01-02_2023-02-09.csv --speed 300`
 *
 * Starts the Binance-compatible test exchange on 127.0.0.1 (simulated fills, recorded prices) and
 * prints its URL, the test API key and secret, and the environment that points Bastion's LIVE mode
 * at it. Runs until interrupted.
 */
import { BinanceTestServer, startReplay } from "../test/binance-test-server";
import { LIVE_OPT_IN_VALUE } from "../server/venues/ccxt/live-config";
import { launcherUsage, runTestServerLauncher } from "../test/exchange-test-server/launcher";

runTestServerLauncher<BinanceTestServer>({
  name: "binance-test-server",
  usage: launcherUsage("scripts/binance-test-server.ts", 4010, "ASSET"),
  start: (options) => BinanceTestServer.start(options),
  replay: startReplay,
  banner: (server, replayLine) => [
    `Binance test server listening on ${server.url}`,
    `  API key:    ${server.apiKey}`,
    `  API secret: ${server.apiSecret}`,
    replayLine,
    "",
    "Point Bastion's LIVE mode at it:",
    `  BASTION_MODE=live BASTION_EXCHANGE=binance BASTION_API_URL=${server.url} \\`,
    `  BASTION_API_KEY=${server.apiKey} \\`,
    `  BASTION_API_SECRET=${server.apiSecret} \\`,
    `  BASTION_LIVE_OPT_IN=${LIVE_OPT_IN_VALUE} npm start`,
    "",
  ],
});
