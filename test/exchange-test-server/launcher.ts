/**
 * The command line both test-exchange launchers share (scripts/binance-test-server.ts, scripts/bitget-test-server.ts):
 * parse --port/--replay/--speed/--symbol/--no-loop/--balance, start the server and the replay, print what the exchange
 * says to print, run until SIGINT/SIGTERM, then stop. The usage text is one template (`launcherUsage`); each script keeps its own lines.
 */
import { parseArgs } from "node:util";
import { type ServerReplay, type ServerReplayOptions } from "../binance-test-server/replay";

/** The options above in words, for the script at `script` (its default port and its name for a balance's currency). */
export function launcherUsage(script: string, defaultPort: number, currencyWord: string): string {
  const command = `usage: npx tsx -C react-server ${script} `;
  return `${command}[--port ${defaultPort}] [--replay FILE.csv] [--speed 300] [--symbol BTC/USDT]
${" ".repeat(command.length + 1)}[--no-loop] [--balance USDT=100000 --balance BTC=2 …]
  --port      port on 127.0.0.1 (default 0: a free one)
  --replay    a candle CSV (ts,open,high,low,close,volume) played as the market
  --speed     recorded ms per real ms (default 300: one 5-minute bar per second)
  --symbol    the symbol the replay drives (default BTC/USDT)
  --no-loop   stop at the end of the recording instead of starting over
  --balance   a starting balance, ${currencyWord}=AMOUNT (repeatable; default USDT=100000 BTC=2 ETH=20)`;
}

export interface TestServerLauncher<Server extends { readonly url: string; close(): Promise<void> }> {
  /** The script's name in the failure line ("binance-test-server failed: …"). */
  name: string;
  usage: string;
  start(options: { port: number; balances: Record<string, string> | undefined }): Promise<Server>;
  replay(server: Server, options: ServerReplayOptions): ServerReplay;
  /** What to print once it listens; `replayLine` says what the replay plays (or that there is none). */
  banner(server: Server, replayLine: string): string[];
}

async function launch<Server extends { readonly url: string; close(): Promise<void> }>(cli: TestServerLauncher<Server>): Promise<number> {
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
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n\n${cli.usage}\n`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(`${cli.usage}\n`);
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

  const server = await cli.start({ port, balances });
  let replay: ServerReplay | null;
  try {
    replay = args.replay ? cli.replay(server, { file: args.replay, symbol: args.symbol, speed, loop: !args["no-loop"] }) : null;
  } catch (error) {
    // A file that cannot be replayed is the caller's mistake: say which and why, and leave no server behind.
    await server.close();
    process.stderr.write(`--replay ${args.replay}: ${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }
  const replayLine = replay ? `  replaying ${args.replay} on ${args.symbol} at ${speed}×` : "  no replay: push prices with POST /__admin/market";
  process.stdout.write(cli.banner(server, replayLine).join("\n"));
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  replay?.stop();
  await server.close();
  return 0;
}

/** Runs the launcher as the process: its exit code, or 1 with one line when it fails. */
export function runTestServerLauncher<Server extends { readonly url: string; close(): Promise<void> }>(cli: TestServerLauncher<Server>): void {
  launch(cli).then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`${cli.name} failed: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(1);
    },
  );
}
