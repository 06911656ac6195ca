/**
 * backtest_cold_1m: what a user meets — one cold `npm run backtest` process on a long 1-minute file — against the
 * same sma-cross 10/30 in grademark 0.3.0 (npm), each in a fresh process, on the same data in the same bench run.
 *
 * Per round, one process of each (the order alternates between rounds); the figures are medians over the rounds:
 * - bastion: the command `npm run backtest` runs (package.json's script, spawned directly so that npm's own start,
 *   ~0.2 s, is not counted for one side only) with `--data FILE --strategy sma-cross --fast 10 --slow 30 --json`;
 *   the stages come from the `timings:` line the CLI writes on stderr. One untimed run first builds the CLI's
 *   cached bundle if a source changed since the last build;
 * - grademark: scripts/bench/grademark-sma-cross.mjs (data-forge reads the CSV, grademark's backtest, analyze).
 *
 * Three figures for each, in candles/s, and the ratios bastion / grademark:
 * - backtest: the run itself (bastion's engine run = the report's elapsedMs; grademark's `backtest` call);
 * - inProcess: CSV file → finished report (bastion: load + engine + report; grademark: parse + flags + backtest +
 *   analyze), i.e. all the process does after its modules are loaded;
 * - process: the whole process, spawn to exit (node, tsx and module loading included), as wall time.
 * The target (4×) is on `inProcess`. On a shared, busy machine wall times stretch with the load; the CPU time of each
 * process is printed beside them.
 *
 * Data: `--cold-data FILE`, else the shared 30,240-candle Binance.US BTC/USDT file at
 * `../shared/data/market/cross-venue/` (see ../shared/data/README.md; it is not copied into data/market/ because its
 * source states no licence; from a git worktree, the `../shared` beside the main checkout). Missing: the bench is
 * skipped with a note. `npm run bench` runs it twice: on the file, and on ten copies of it end to end
 * (`backtest_cold_1m_x10`, 302,400 candles; repeatCandleFile), where module loading and the JIT's warm-up weigh less.
 * grademark: installed once with npm into `BASTION_BENCH_GRADEMARK_DIR` (default `<tmpdir>/bastion-bench-grademark`),
 * outside the repository — it is not a dependency of Bastion. grademark needs chai at run time but does not declare
 * it, so chai@4 is installed beside it. Without npm or the registry: skipped with a note.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

const ROOT = join(import.meta.dirname, "..", "..");
const COLD_FILE = join("data", "market", "cross-venue", "btc-usdt_1m_binanceus_2023-03-01_2023-03-21.csv");

/** `../shared` beside the repository, or beside the main checkout when this is a git worktree. */
function sharedDirs(): string[] {
  const dirs = [join(ROOT, "..", "shared")];
  const common = spawnSync("git", ["rev-parse", "--path-format=absolute", "--git-common-dir"], { cwd: ROOT, encoding: "utf8" });
  if (common.status === 0 && common.stdout.trim()) dirs.push(join(dirname(dirname(common.stdout.trim())), "shared"));
  return dirs;
}
export const COLD_DATA = sharedDirs()
  .map((dir) => join(dir, COLD_FILE))
  .reduce((found, file) => (existsSync(found) ? found : file));

/**
 * A longer file made of `times` copies of a candle CSV, each shifted in time to follow the one before (by the file's
 * span plus one candle), the prices unchanged: a long run on real prices, with a seam between copies. Written to a temp
 * dir; the caller removes it.
 */
export function repeatCandleFile(file: string, times: number): { file: string; dir: string } {
  const lines = readFileSync(file, "utf8").trimEnd().split("\n");
  const [header, ...rows] = lines;
  const tsOf = (row: string) => Number(row.slice(0, row.indexOf(",")));
  const first = tsOf(rows[0]!);
  const last = tsOf(rows[rows.length - 1]!);
  const step = rows.length > 1 ? (last - first) / (rows.length - 1) : 60_000;
  const span = last - first + Math.round(step);
  const out: string[] = [header!];
  for (let k = 0; k < times; k++) for (const row of rows) out.push(`${tsOf(row) + k * span}${row.slice(row.indexOf(","))}`);
  const dir = mkdtempSync(join(tmpdir(), "bastion-bench-cold-"));
  const repeated = join(dir, `x${times}-${file.split("/").pop()}`);
  writeFileSync(repeated, `${out.join("\n")}\n`);
  return { file: repeated, dir };
}
export const COLD_TARGET_RATIO = 4;
const GRADEMARK_PACKAGES = ["grademark@0.3.0", "chai@4.5.0", "data-forge@1.10.5"];

interface BastionTimings {
  mainStartedMs: number;
  csvMs: number;
  engineMs: number;
  reportMs: number;
  doneMs: number;
  cpuMs: number;
  inProcessCpuMs: number;
}
interface GrademarkOutput {
  candles: number;
  trades: number;
  finalCapital: number;
  loadedMs: number;
  csvMs: number;
  backtestMs: number;
  analyzedMs: number;
  cpuMs: number;
  inProcessCpuMs: number;
}

interface Side {
  trades: number;
  /** Median over the rounds, ms. */
  backtestMs: number;
  inProcessMs: number;
  processWallMs: number;
  processCpuMs: number;
  /** CPU time of the in-process part (after the modules were loaded), ms: steadier than wall time on a busy machine. */
  inProcessCpuMs: number;
  /** ms from process start until the program's own code ran (node, tsx, modules). */
  startupMs: number;
  backtestCandlesPerSec: number;
  inProcessCandlesPerSec: number;
  processCandlesPerSec: number;
}

export interface ColdBenchResult {
  name: string;
  unit: "candles/s";
  /** bastion's in-process candles/s (the figure the target is on). */
  value: number;
  data: string;
  /** The file was `repeat` copies of `data` end to end (1: the file itself). */
  repeat: number;
  candles: number;
  rounds: number;
  bastion: Side & { finalEquity: string; command: string };
  grademark: (Side & { finalCapital: number }) | { skipped: string };
  /** grademark ÷ bastion (above 1: bastion faster); the CPU ratios are the steadier ones on a shared machine. */
  ratio: { backtest: number; inProcess: number; process: number; inProcessCpu: number; processCpu: number } | null;
  target: number;
  meetsTarget: boolean | null;
}

export interface ColdBenchOptions {
  name: string;
  data?: string;
  rounds?: number;
  /** Runs on `repeat` copies of the file end to end (repeatCandleFile): a long file from a real one. Default 1. */
  repeat?: number;
  /** Where grademark is (or gets installed); null: bastion only (tests, no network). */
  grademarkDir?: string | null;
  log?: (line: string) => void;
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
};
const perSec = (candles: number, ms: number): number => Math.round((candles * 1000) / ms);
const round1 = (x: number): number => Math.round(x * 10) / 10;

/** Installs grademark (and what it needs) into `dir` unless already there; returns a reason when it cannot. */
function ensureGrademark(dir: string, log: (line: string) => void): string | null {
  if (existsSync(join(dir, "node_modules", "grademark", "package.json")) && existsSync(join(dir, "node_modules", "chai", "package.json"))) return null;
  log(`  installing ${GRADEMARK_PACKAGES.join(" ")} into ${dir} (once)`);
  const r = spawnSync("npm", ["install", "--prefix", dir, "--no-audit", "--no-fund", "--loglevel=error", ...GRADEMARK_PACKAGES], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
  if (r.status !== 0) return `npm install of grademark failed (${r.error?.message ?? r.stderr.trim().split("\n").at(-1) ?? `exit ${r.status}`})`;
  return null;
}

function backtestScript(): string {
  const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string | undefined> };
  return pkg.scripts.backtest ?? "";
}

/** The command `npm run backtest` runs, split into argv (it is a plain `tsx …` or `node … …` line). */
function backtestCommand(): string[] {
  const line = backtestScript();
  if (!line || /[|&;<>$`"']/.test(line)) throw new Error(`BENCH_COLD_COMMAND: package.json's backtest script is not a plain command: ${line}`);
  const [cmd, ...rest] = line.split(/\s+/);
  // npm puts node_modules/.bin first on PATH.
  const bin = join(ROOT, "node_modules", ".bin", cmd!);
  return [existsSync(bin) ? bin : cmd === "node" ? process.execPath : cmd!, ...rest];
}

function timed(argv: readonly string[]): { stdout: string; stderr: string; wallMs: number } {
  const started = performance.now();
  const r = spawnSync(argv[0]!, argv.slice(1), { cwd: ROOT, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  const wallMs = performance.now() - started;
  if (r.status !== 0) throw new Error(`BENCH_COLD_RUN: ${argv.join(" ")} exited with ${r.status}: ${r.stderr.trim().split("\n").slice(-3).join(" | ")}`);
  return { stdout: r.stdout, stderr: r.stderr, wallMs };
}

export function coldBench(options: ColdBenchOptions): ColdBenchResult | { name: string; skipped: string } {
  const source = options.data ?? COLD_DATA;
  if (!existsSync(source)) return { name: options.name, skipped: `no data file at ${source} (pass --cold-data FILE)` };
  const repeat = Math.max(1, Math.floor(options.repeat ?? 1));
  if (repeat === 1) return coldBenchOn(options, source, source, 1);
  const long = repeatCandleFile(source, repeat);
  try {
    return coldBenchOn(options, long.file, source, repeat);
  } finally {
    rmSync(long.dir, { recursive: true, force: true });
  }
}

function coldBenchOn(options: ColdBenchOptions, data: string, source: string, repeat: number): ColdBenchResult {
  const log = options.log ?? (() => {});
  const rounds = options.rounds ?? 7;
  const gmDir =
    options.grademarkDir === undefined ? (process.env.BASTION_BENCH_GRADEMARK_DIR ?? join(tmpdir(), "bastion-bench-grademark")) : options.grademarkDir;
  const gmMissing = gmDir === null ? "not asked for" : ensureGrademark(gmDir, log);
  if (gmMissing) log(`  grademark skipped: ${gmMissing}`);

  const ours = [...backtestCommand(), "--data", data, "--strategy", "sma-cross", "--fast", "10", "--slow", "30", "--json"];
  const theirs = [process.execPath, join(ROOT, "scripts", "bench", "grademark-sma-cross.mjs"), gmDir ?? "", data];
  const samples = () => ({
    backtest: [] as number[],
    inProcess: [] as number[],
    wall: [] as number[],
    cpu: [] as number[],
    inProcessCpu: [] as number[],
    startup: [] as number[],
  });
  const b = samples();
  const g = samples();
  let candles = 0;
  let trades = 0;
  let finalEquity = "";
  let gmLast: GrademarkOutput | null = null;

  const runOurs = () => {
    const r = timed(ours);
    const report = JSON.parse(r.stdout) as { candles: number; tradeCount: number; finalEquity: string };
    const line = r.stderr.split("\n").find((l) => l.startsWith("timings: "));
    if (!line) throw new Error("BENCH_COLD_TIMINGS: the backtest CLI wrote no `timings:` line on stderr.");
    const t = JSON.parse(line.slice("timings: ".length)) as BastionTimings;
    if (finalEquity && report.finalEquity !== finalEquity) throw new Error("BENCH_NONDETERMINISTIC: two cold runs gave different final equity.");
    ({ candles, tradeCount: trades, finalEquity } = report);
    b.backtest.push(t.engineMs);
    b.inProcess.push(t.csvMs + t.engineMs + t.reportMs);
    b.wall.push(r.wallMs);
    b.cpu.push(t.cpuMs);
    b.inProcessCpu.push(t.inProcessCpuMs);
    b.startup.push(t.mainStartedMs);
    log(
      `  bastion: process ${r.wallMs.toFixed(0)} ms (cpu ${t.cpuMs.toFixed(0)}, in-process cpu ${t.inProcessCpuMs.toFixed(0)}), csv ${t.csvMs.toFixed(0)} + engine ${t.engineMs.toFixed(0)} + report ${t.reportMs.toFixed(0)} ms`,
    );
  };
  const runTheirs = () => {
    const r = timed(theirs);
    const out = JSON.parse(r.stdout) as GrademarkOutput;
    gmLast = out;
    g.backtest.push(out.backtestMs - out.csvMs);
    g.inProcess.push(out.analyzedMs - out.loadedMs);
    g.wall.push(r.wallMs);
    g.cpu.push(out.cpuMs);
    g.inProcessCpu.push(out.inProcessCpuMs);
    g.startup.push(out.loadedMs);
    log(
      `  grademark: process ${r.wallMs.toFixed(0)} ms (cpu ${out.cpuMs.toFixed(0)}, in-process cpu ${out.inProcessCpuMs.toFixed(0)}), csv ${(out.csvMs - out.loadedMs).toFixed(0)} + backtest ${(out.backtestMs - out.csvMs).toFixed(0)} + analyze ${(out.analyzedMs - out.backtestMs).toFixed(0)} ms`,
    );
  };
  // The first run after an install or an edit builds the CLI's bundle (scripts/run-backtest.mjs, ~0.4 s, cached
  // until a source changes): done once before the rounds, which measure the run a user meets every other time.
  timed(ours);
  for (let i = 0; i < rounds; i++) {
    const order = i % 2 === 0 ? [runOurs, runTheirs] : [runTheirs, runOurs];
    for (const run of order) if (run !== runTheirs || !gmMissing) run();
  }

  const side = (s: typeof b, n: number, tradeCount: number): Side => ({
    trades: tradeCount,
    backtestMs: round1(median(s.backtest)),
    inProcessMs: round1(median(s.inProcess)),
    processWallMs: round1(median(s.wall)),
    processCpuMs: round1(median(s.cpu)),
    inProcessCpuMs: round1(median(s.inProcessCpu)),
    startupMs: round1(median(s.startup)),
    backtestCandlesPerSec: perSec(n, median(s.backtest)),
    inProcessCandlesPerSec: perSec(n, median(s.inProcess)),
    processCandlesPerSec: perSec(n, median(s.wall)),
  });
  const bastion = { ...side(b, candles, trades), finalEquity, command: backtestScript() };
  const gm = gmLast as GrademarkOutput | null;
  const grademark = gmMissing || !gm ? { skipped: gmMissing ?? "not run" } : { ...side(g, gm.candles, gm.trades), finalCapital: gm.finalCapital };
  const ratio =
    "skipped" in grademark
      ? null
      : {
          backtest: round1(median(g.backtest) / median(b.backtest)),
          inProcess: round1(median(g.inProcess) / median(b.inProcess)),
          process: round1(median(g.wall) / median(b.wall)),
          inProcessCpu: round1(median(g.inProcessCpu) / median(b.inProcessCpu)),
          processCpu: round1(median(g.cpu) / median(b.cpu)),
        };
  return {
    name: options.name,
    unit: "candles/s",
    value: bastion.inProcessCandlesPerSec,
    data: source,
    repeat,
    candles,
    rounds,
    bastion,
    grademark,
    ratio,
    target: COLD_TARGET_RATIO,
    meetsTarget: ratio ? ratio.inProcess >= COLD_TARGET_RATIO : null,
  };
}
