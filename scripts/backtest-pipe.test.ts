import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..");
const TSX = join(ROOT, "node_modules", ".bin", "tsx");
const CANDLES = join(ROOT, "data", "market", "btc-usdt_5m_2023-01-02_2023-02-09.csv");
const FIVE_MINUTES = 300_000;

const dir = mkdtempSync(join(tmpdir(), "bastion-backtest-pipe-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The recorded candles twice in a row (the second copy shifted in time): with --fast 1 --slow 2 the report is > 1 MiB. */
function doubledCandles(): string {
  const [header, ...rows] = readFileSync(CANDLES, "utf8").trim().split("\n");
  const firstTs = Number(rows[0]?.split(",")[0]);
  const lastTs = Number(rows.at(-1)?.split(",")[0]);
  const shift = lastTs - firstTs + FIVE_MINUTES;
  const shifted = rows.map((row) => {
    const [ts, ...rest] = row.split(",");
    return [String(Number(ts) + shift), ...rest].join(",");
  });
  const path = join(dir, "doubled.csv");
  writeFileSync(path, [header, ...rows, ...shifted].join("\n") + "\n");
  return path;
}

interface PipedRun {
  stdout: Buffer;
  exitCode: number | null;
  /** Whether the child had already exited when the reader started to read its stdout. */
  exitedBeforeRead: boolean;
}

/**
 * Runs the backtest with stdout a pipe that nobody reads until the script says it is done (or has exited), then reads
 * it one chunk per event-loop turn: the pipe fills up (64 KiB on Linux) while the report is written, as with `| jq`.
 */
function runIntoSlowPipe(args: string[]): Promise<PipedRun> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(TSX, ["scripts/backtest.ts", ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.pause();
    const chunks: Buffer[] = [];
    let stderr = "";
    let exited = false;
    let exitCode: number | null = null;
    let reading = false;
    let exitedBeforeRead = false;
    let stdoutEnded = false;
    const finish = () => {
      if (exited && stdoutEnded) resolvePromise({ stdout: Buffer.concat(chunks), exitCode, exitedBeforeRead });
    };
    const startReading = () => {
      if (reading) return;
      reading = true;
      exitedBeforeRead = exited;
      child.stdout.on("data", (chunk: Buffer) => {
        chunks.push(chunk);
        // A slow consumer: take one chunk, then let the event loop turn before asking for the next.
        child.stdout.pause();
        setImmediate(() => child.stdout.resume());
      });
      child.stdout.on("end", () => {
        stdoutEnded = true;
        finish();
      });
      child.stdout.resume();
    };
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8");
      // The script has computed the report and is about to write it: give it the chance to exit before we read
      // (the bug), and read anyway once it is stuck on the full pipe (the fix never exits before the pipe drains).
      if (/^done: /m.test(stderr)) setTimeout(startReading, 300);
    });
    child.on("error", reject);
    child.on("exit", (code) => {
      exited = true;
      exitCode = code;
      if (code !== 0) reject(new Error(`backtest exited with ${String(code)}: ${stderr}`));
      startReading();
      finish();
    });
  });
}

describe("npm run backtest -- … --json | a slow reader", () => {
  it("delivers the whole report (over 1 MiB) through a pipe that is read slowly", async () => {
    const data = doubledCandles();
    const run = await runIntoSlowPipe(["--data", data, "--fast", "1", "--slow", "2", "--json", "--deterministic"]);
    expect(run.exitCode).toBe(0);
    expect(run.stdout.length).toBeGreaterThan(1024 * 1024);
    const report = JSON.parse(run.stdout.toString("utf8")) as { candles: number; tradeCount: number; trades: unknown[] };
    expect(report.candles).toBe(2 * 10_999);
    expect(report.trades).toHaveLength(report.tradeCount);
    // The child must still be alive while its report sits in the pipe.
    expect(run.exitedBeforeRead).toBe(false);
  }, 120_000);
});

describe("npm run backtest -- … --json | a reader that stops early (head)", () => {
  it("ends quietly with exit code 0 when the reader closes the pipe after its first chunk", async () => {
    const data = doubledCandles();
    const child = spawn(TSX, ["scripts/backtest.ts", "--data", data, "--fast", "1", "--slow", "2", "--json", "--deterministic"], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    let first = "";
    child.stdout.once("data", (chunk: Buffer) => {
      first = chunk.toString("utf8");
      child.stdout.destroy(); // as `head -c` does once it has its bytes
    });
    const code = await new Promise<number | null>((resolveExit, reject) => {
      child.on("error", reject);
      child.on("exit", (exitCode) => resolveExit(exitCode));
    });
    expect(first.startsWith('{"params"')).toBe(true);
    expect(code).toBe(0);
    expect(stderr).not.toMatch(/EPIPE|Unhandled 'error' event/);
  }, 120_000);
});
