/**
 * `npx tsx -C react-server scripts/bitget-test-server.ts --port 4020 --replay data/market/btc-usdt_5m_2023-01-02_2023-02-09.csv --speed 300`
 *
 * Starts the Bitget-compatible test exchange on 127.0.0.1 (Bitget v2 classic spot REST, simulated fills,
 * recorded prices) and prints its URL, the test API key, secret and passphrase, and the environment that
 * points Bastion's LIVE mode at it. Runs until interrupted.
 */
import { parseArgs } from "node:util";
import { BitgetTestServer, startReplay } from "../test/bitget-test-server";
import { LIVE_OPT_IN_VALUE } from "../server/venues/ccxt/live-config";

const USAGE = `usage: npx tsx -C react-server scripts/bitget-test-server.ts [--port 4020] [--replay FILE.csv] [--speed 300] [--symbol BTC/USDT]
                                                              [--no-loop] [--balance USDT=100000 --balance BTC=2 …]
  --port      port on 127.0.0.1 (default 0: a free one)
  --replay    a candle CSV (ts,open,high,low,close,volume) played as the market
  --speed     recorded ms per real ms (default 300: one 5-minute bar per second)
  --symbol    the symbol the replay drives (default BTC/USDT)
  --no-loop   stop at the end of the recording instead of starting over
  --balance   a starting balance, COIN=AMOUNT (repeatable; default USDT=100000 BTC=2 ETH=20)`;

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({
      options: {
        port: { type: "string", default: "0" },
        replay: { type: "string" },
        speed: { type: "string", default: "300" },
        symbol: { type: "string", default: "BTC/USDT" },
        "no-loop": { type: "boolean", default: false },
        balance: { type: "string", multiple: true },
        help: { type: "boolean", short: "h", default: false },
      },
      strict: true,
    }).values;
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}\n`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const port = Number(args.port);
  const speed = Number(args.speed);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    process.stderr.write(`--port must be a whole number from 0 to 65535, got ${args.port}\n`);
    return 2;
  }
  if (!(speed > 0)) {
    process.stderr.write(`--speed must be a positive number, got ${args.speed}\n`);
    return 2;
  }
  let balances: Record<string, string> | undefined;
  for (const entry of args.balance ?? []) {
    const match = /^([A-Z0-9]{2,12})=([0-9]+(\.[0-9]+)?)$/.exec(entry);
    if (!match) {
      process.stderr.write(`--balance must look like USDT=100000, got ${entry}\n`);
      return 2;
    }
    balances = { ...balances, [match[1]!]: match[2]! };
  }

  const server = await BitgetTestServer.start({ port, balances });
  let replay;
  try {
    replay = args.replay ? startReplay(server, { file: args.replay, symbol: args.symbol, speed, loop: !args["no-loop"] }) : null;
  } catch (error) {
    await server.close();
    process.stderr.write(`--replay ${args.replay}: ${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }
  process.stdout.write(
    [
      `Bitget test server listening on ${server.url}`,
      `  API key:    ${server.apiKey}`,
      `  API secret: ${server.apiSecret}`,
      `  passphrase: ${server.passphrase}`,
      replay ? `  replaying ${args.replay} on ${args.symbol} at ${speed}×` : "  no replay: push prices with POST /__admin/market",
      "",
      "Point Bastion's LIVE mode at it:",
      `  BASTION_MODE=live BASTION_EXCHANGE=bitget BASTION_MARKET_TYPES=spot BASTION_API_URL=${server.url} \\`,
      `  BASTION_API_KEY=${server.apiKey} \\`,
      `  BASTION_API_SECRET=${server.apiSecret} \\`,
      `  BASTION_API_PASSWORD=${server.passphrase} \\`,
      `  BASTION_LIVE_OPT_IN=${LIVE_OPT_IN_VALUE} npm start`,
      "",
    ].join("\n"),
  );
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  replay?.stop();
  await server.close();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`bitget-test-server failed: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
