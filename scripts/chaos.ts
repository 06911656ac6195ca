/**
 * `npm run chaos [-- --orders 600 --seed 9 --timeout-ms 400 --kills 100 --no-crash]`
 *
 * The long versions of the chaos and crash tests, with their figures as one JSON document on stdout:
 * - chaos: the engine with the ccxt venue against the Binance-compatible test server under a seeded
 *   fault plan (test/chaos/run.ts), `--orders` orders across two symbols, then the emergency
 *   stop; figures: orders, faults injected by kind, in-doubt count, orders executed twice, open orders
 *   after the stop, books-vs-exchange differences, durations;
 * - crash: server/engine/crash.test.ts (the desk on the durable simulator) and
 *   server/engine/crash-exchange.test.ts (the LIVE desk against the test server, answers lost and
 *   orders placed late) with `--kills` SIGKILLs each (BASTION_CRASH_KILLS), their figures.
 * Exit code 0 when every verdict holds, 1 when one does not, 2 on bad arguments.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { runChaos } from "../test/chaos/run";

const USAGE = `usage: npm run chaos -- [--orders 600] [--seed 9] [--timeout-ms 400] [--fault-rate 0.3] [--kills 100] [--no-crash]
  --orders      orders the chaos run sends, across two symbols (100 to 100000, default 600)
  --seed        the fault plan's and the stream's seed (default 9)
  --timeout-ms  ccxt's request timeout (100 to 10000, default 400)
  --fault-rate  chance of a fault on an order placement, 0 to 0.9 (default 0.3)
  --kills       SIGKILLs in the crash test (1 to 1000, default 100)
  --no-crash    skip the crash test`;

function wholeNumber(name: string, raw: string, min: number, max: number): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new RangeError(`--${name} must be a whole number from ${min} to ${max}, got ${raw}`);
  return n;
}

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({
      options: {
        orders: { type: "string", default: "600" },
        seed: { type: "string", default: "9" },
        "timeout-ms": { type: "string", default: "400" },
        "fault-rate": { type: "string", default: "0.3" },
        kills: { type: "string", default: "100" },
        "no-crash": { type: "boolean", default: false },
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
  let orders: number, seed: number, timeoutMs: number, kills: number, faultRate: number;
  try {
    orders = wholeNumber("orders", args.orders, 100, 100_000);
    seed = wholeNumber("seed", args.seed, 0, 2 ** 31);
    timeoutMs = wholeNumber("timeout-ms", args["timeout-ms"], 100, 10_000);
    kills = wholeNumber("kills", args.kills, 1, 1_000);
    faultRate = Number(args["fault-rate"]);
    if (!(faultRate >= 0 && faultRate <= 0.9)) throw new RangeError(`--fault-rate must be from 0 to 0.9, got ${args["fault-rate"]}`);
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}\n`);
    return 2;
  }

  const log = (message: string): void => void process.stderr.write(`${message}\n`);
  const chaos = await runChaos({ seed, orders, timeoutMs, faultRate, log });

  /** Runs one crash test file with `kills` SIGKILLs; its figures (written by the test to `reportVar`), or the end of its output. */
  const crashTest = (file: string, reportVar: string): Record<string, unknown> => {
    const dir = mkdtempSync(join(tmpdir(), "bastion-chaos-"));
    const reportPath = join(dir, "report.json");
    const started = performance.now();
    log(`crash: ${kills} SIGKILLs (${file})…`);
    const run = spawnSync("npx", ["vitest", "run", file], {
      env: { ...process.env, NO_COLOR: "1", BASTION_CRASH_KILLS: String(kills), [reportVar]: reportPath },
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
    });
    const durationMs = Math.round(performance.now() - started);
    let figures: Record<string, unknown> = {};
    try {
      figures = JSON.parse(readFileSync(reportPath, "utf8")) as Record<string, unknown>;
    } catch {
      // the test failed before its figures
    }
    rmSync(dir, { recursive: true, force: true });
    if (run.status === 0) return { ok: true, durationMs, ...figures };
    const output = `${run.stdout}\n${run.stderr}`.split("\n").filter((line) => line.trim() !== "");
    return { ok: false, durationMs, kills, ...figures, failure: output.slice(-40) };
  };
  let crash: Record<string, Record<string, unknown>> | null = null;
  if (!args["no-crash"]) {
    crash = {
      simulator: crashTest("server/engine/crash.test.ts", "BASTION_CRASH_REPORT"),
      exchange: crashTest("server/engine/crash-exchange.test.ts", "BASTION_CRASH_EXCHANGE_REPORT"),
    };
  }

  // Whole, also into a pipe: written with a callback, and the process exits after it drained.
  const text = `${JSON.stringify({ chaos, crash }, null, 2)}\n`;
  await new Promise<void>((resolve, reject) => process.stdout.write(text, (error) => (error ? reject(error) : resolve())));
  return chaos.verdict.ok && (crash === null || Object.values(crash).every((c) => c.ok === true)) ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`chaos failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
