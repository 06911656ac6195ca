/**
 * Proves that a speed change leaves the backtest reports byte-identical: runs a fixed set of backtests in process
 * (single symbol with and without fees, slippage and a quantity step, on the 5-minute and the 1-minute files, and the
 * portfolio form) with `--deterministic` (elapsedMs written as 0), and prints each report's SHA-256 and size as JSON.
 *
 *   npx tsx -C react-server scripts/bench/report-digest.ts > /tmp/before.json     (before the change)
 *   npx tsx -C react-server scripts/bench/report-digest.ts --check /tmp/before.json   (after: exit 1 on any difference)
 *
 * Data files that are not there (the shared 1-minute file lives outside the repository) are listed as skipped.
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseBacktestArgs } from "../../server/engine/backtest-args";
import { runBacktest } from "../../server/engine/backtest-service";

const ROOT = join(import.meta.dirname, "..", "..");
const FIVE_MIN = join(ROOT, "data", "market", "btc-usdt_5m_2023-01-02_2023-02-09.csv");
const ONE_MIN = [join(ROOT, "..", "shared"), "/work/shared"]
  .map((dir) => join(dir, "data", "market", "cross-venue", "btc-usdt_1m_binanceus_2023-03-01_2023-03-21.csv"))
  .find((f) => existsSync(f));
const PORTFOLIO_DIR = join(ROOT, "data", "market", "portfolio");

const sma = ["--strategy", "sma-cross", "--fast", "10", "--slow", "30"];
const CASES: Record<string, string[] | null> = {
  "5m plain": ["--data", FIVE_MIN, ...sma],
  "5m fee+slippage+qty-step": ["--data", FIVE_MIN, ...sma, "--fee-bps", "10", "--slippage", "fixed:2", "--qty-step", "0.00001"],
  "5m fast 5/20 fee": ["--data", FIVE_MIN, "--strategy", "sma-cross", "--fast", "5", "--slow", "20", "--fee-bps", "7.5"],
  "1m plain": ONE_MIN ? ["--data", ONE_MIN, ...sma] : null,
  "1m fee+slippage": ONE_MIN ? ["--data", ONE_MIN, ...sma, "--fee-bps", "10", "--slippage", "fixed:2"] : null,
};

function portfolioCase(): string[] | null {
  if (!existsSync(PORTFOLIO_DIR)) return null;
  const files = readdirSync(PORTFOLIO_DIR)
    .filter((f) => f.endsWith(".csv"))
    .sort()
    .slice(0, 3);
  return files.length >= 2 ? [...files.flatMap((f) => ["--data", join(PORTFOLIO_DIR, f)]), ...sma] : null;
}
CASES["portfolio"] = portfolioCase();

function digest(argv: string[]): { sha256: string; bytes: number; trades: number } {
  const parsed = parseBacktestArgs([...argv, "--deterministic", "--json"]);
  if (!parsed.ok || parsed.value.help) throw new Error(`bad arguments ${argv.join(" ")}: ${parsed.ok ? "help" : parsed.error.message}`);
  const { report } = runBacktest(parsed.value);
  const text = JSON.stringify(report);
  return { sha256: createHash("sha256").update(text).digest("hex"), bytes: text.length, trades: report.tradeCount };
}

const out: Record<string, { sha256: string; bytes: number; trades: number } | { skipped: string }> = {};
for (const [name, argv] of Object.entries(CASES)) out[name] = argv ? digest(argv) : { skipped: "data file not found" };

const i = process.argv.indexOf("--check");
if (i >= 0) {
  const before = JSON.parse(readFileSync(process.argv[i + 1]!, "utf8")) as typeof out;
  const differ = Object.keys({ ...before, ...out }).filter((k) => JSON.stringify(before[k]) !== JSON.stringify(out[k]));
  for (const k of differ) process.stderr.write(`DIFFERS: ${k}\n  before ${JSON.stringify(before[k])}\n  now    ${JSON.stringify(out[k])}\n`);
  process.stderr.write(differ.length === 0 ? `identical: ${Object.keys(out).length} reports\n` : "");
  process.exit(differ.length === 0 ? 0 : 1);
}
process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
