/**
 * `npx tsx -C react-server scripts/bitget-test-server.ts --port 4020 --replay data/market/btc-usdt_5m_2023-01-02_2023-02-09.csv --speed 300`
 *
 * Starts the Bitget-compatible test exchange on 127.0.0.1 (Bitget v2 classic spot REST, simulated fills,
 * recorded prices) and prints its URL, the test API key, secret and passphrase, and the environment that
 * points Bastion's LIVE mode at it. Runs until interrupted.
 */
import { BitgetTestServer, startReplay } from "../test/bitget-test-server";
import { LIVE_OPT_IN_VALUE } from "../server/venues/ccxt/live-config";
import { launcherUsage, runTestServerLauncher } from "../test/exchange-test-server/launcher";

runTestServerLauncher<BitgetTestServer>({
  name: "bitget-test-server",
  usage: launcherUsage("scripts/bitget-test-server.ts", 4020, "COIN"),
  start: (options) => BitgetTestServer.start(options),
  replay: startReplay,
  banner: (server, replayLine) => [
    `Bitget test server listening on ${server.url}`,
    `  API key:    ${server.apiKey}`,
    `  API secret: ${server.apiSecret}`,
    `  passphrase: ${server.passphrase}`,
    replayLine,
    "",
    "Point Bastion's LIVE mode at it:",
    `  BASTION_MODE=live BASTION_EXCHANGE=bitget BASTION_MARKET_TYPES=spot BASTION_API_URL=${server.url} \\`,
    `  BASTION_API_KEY=${server.apiKey} \\`,
    `  BASTION_API_SECRET=${server.apiSecret} \\`,
    `  BASTION_API_PASSWORD=${server.passphrase} \\`,
    `  BASTION_LIVE_OPT_IN=${LIVE_OPT_IN_VALUE} npm start`,
    "",
  ],
});
