/**
 * Backtests for the desk: the stored runs and their reports, the shipped candle files, and starting a run.
 *
 * A run is not trading state: it goes through `runBacktest` (server/engine/backtest-service.ts: the same engine on a
 * simulated clock, in this process, synchronously — about 0.3 s over the 5-minute file), is stored with
 * `saveBacktestRun` and is audited with `recordAudit`. One run at a time per process: a second request while one runs
 * is refused (BACKTEST_BUSY).
 *
 * Data sets are chosen by file NAME among the candle files shipped in data/market/ (header ts,open,high,low,close,
 * volume); a name is never joined onto a path before it has been found in that listing.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { DomainError } from "../core/errors";
import { recordAudit } from "../db/audit";
import { type Decimal } from "../core/money";
import { saveBacktestRun } from "../db/backtests";
import type { BacktestRun } from "../db/generated/client";
import { backtestRunById, backtestRunRows } from "../db/queries/backtests";
import { runBacktest } from "../engine/backtest-service";
import { CANDLE_HEADER } from "../venues/replay/csv";

// ---------------------------------------------------------------------------------------------------------------
// Data sets

export interface DataSetDto {
  name: string;
  symbol: string;
  /** "5m" etc. when the name says so. */
  timeframe: string | null;
  rows: number;
  firstTs: number | null;
  lastTs: number | null;
  bytes: number;
}

/** Where the shipped market data lives (the repository's data/market, resolved against the working directory). */
export function marketDataDir(): string {
  return path.resolve(process.cwd(), "data", "market");
}

const cache = new Map<string, { size: number; mtimeMs: number; dto: DataSetDto | null }>();

/** `btc-usdt_5m_…csv` → BTC/USDT and 5m; null when the name does not say. */
function symbolOf(name: string): { symbol: string; timeframe: string | null } | null {
  const m = /^([a-z0-9]+)-([a-z0-9]+)_(\d+[smhdw])?/i.exec(name);
  return m ? { symbol: `${m[1]!.toUpperCase()}/${m[2]!.toUpperCase()}`, timeframe: m[3] ?? null } : null;
}

function describeFile(dir: string, name: string): DataSetDto | null {
  const file = path.join(dir, name);
  const st = statSync(file);
  const hit = cache.get(file);
  if (hit && hit.size === st.size && hit.mtimeMs === st.mtimeMs) return hit.dto;
  let dto: DataSetDto | null = null;
  const sym = symbolOf(name);
  const text = readFileSync(file, "utf8");
  const lines = text
    .replace(/^\uFEFF/, "")
    .split(/\r?\n/)
    .filter((l) => l.length > 0);
  if (sym && lines[0]?.trim() === CANDLE_HEADER) {
    const ts = (line: string | undefined) => {
      const n = Number(line?.split(",")[0]);
      return Number.isFinite(n) ? n : null;
    };
    dto = {
      name,
      symbol: sym.symbol,
      timeframe: sym.timeframe,
      rows: lines.length - 1,
      firstTs: ts(lines[1]),
      lastTs: ts(lines[lines.length - 1]),
      bytes: st.size,
    };
  }
  cache.set(file, { size: st.size, mtimeMs: st.mtimeMs, dto });
  return dto;
}

/** The candle files in data/market/, by name (other files, such as recorded trades, are not candle data). */
export function listDataSets(dir: string = marketDataDir()): DataSetDto[] {
  let names: string[];
  try {
    // turbopackIgnore: a data directory read at run time, not a module to trace into the build (nor the whole project).
    names = readdirSync(/*turbopackIgnore: true*/ dir, { withFileTypes: true })
      .filter((d) => d.isFile() && d.name.endsWith(".csv"))
      .map((d) => d.name)
      .sort();
  } catch {
    return [];
  }
  return names.map((n) => describeFile(dir, n)).filter((d): d is DataSetDto => d !== null);
}

/** The data set called `name`, and its absolute path — only if it is one of the listed files. */
export function findDataSet(name: string, dir: string = marketDataDir()): { dataSet: DataSetDto; file: string } {
  const sets = listDataSets(dir);
  const dataSet = sets.find((d) => d.name === name);
  if (!dataSet) {
    const known = sets.map((d) => d.name).join(", ") || "none";
    throw new DomainError("NOT_FOUND", `There is no shipped data set named '${name.slice(0, 80)}'. The data sets are: ${known}.`, {
      dataSet: name.slice(0, 80),
    });
  }
  const file = path.join(/*turbopackIgnore: true*/ dir, dataSet.name);
  // Belt and braces: the listing only has plain names, so this never fires.
  if (path.dirname(file) !== path.resolve(/*turbopackIgnore: true*/ dir)) throw new DomainError("BAD_REQUEST", "A data set is a file name, not a path.");
  return { dataSet, file };
}

// ---------------------------------------------------------------------------------------------------------------
// Stored runs

type Scalar = string | number | boolean | null;

/** The stored params as JSON scalars (anything else is dropped). */
function parseParams(params: string): Record<string, Scalar> {
  let v: unknown;
  try {
    v = JSON.parse(params);
  } catch {
    return {};
  }
  if (!v || typeof v !== "object" || Array.isArray(v)) return {};
  const out: Record<string, Scalar> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    if (x === null || typeof x === "string" || typeof x === "number" || typeof x === "boolean") out[k] = x;
  }
  return out;
}

/** A stored run as the list shows it: the row without its report, params parsed. */
export type BacktestRunDto = Omit<BacktestRun, "report" | "params"> & { params: Record<string, Scalar> };

type ListRow = Awaited<ReturnType<typeof backtestRunRows>>[number];

function runDto(r: ListRow): BacktestRunDto {
  return { ...r, params: parseParams(r.params) };
}

/** Newest first, without the (large) reports. */
export async function listBacktestRuns(input: { limit: number }): Promise<BacktestRunDto[]> {
  const rows = await backtestRunRows(input.limit);
  return rows.map(runDto);
}

export interface BacktestDetailDto {
  run: BacktestRunDto;
  report: {
    initialCapital: string | null;
    finalEquity: string | null;
    netPnl: string | null;
    totalReturnPct: number | null;
    maxDrawdownPct: number | null;
    sharpe: number | null;
    winRatePct: number | null;
    profitFactor: number | null;
    totalFees: string | null;
    candles: number | null;
    tradeCount: number | null;
    elapsedMs: number | null;
  };
  trades: {
    entryTime: number;
    exitTime: number;
    side: string;
    qty: string;
    entryPrice: string;
    exitPrice: string;
    fees: string;
    pnl: string;
    exitReason: string;
  }[];
  /** Shown trades are capped at MAX_DETAIL_TRADES (the first ones); the stats above cover all of them. */
  tradesTruncated: boolean;
  /** Equity at candle closes, downsampled by saveBacktestRun's caller to ≤ ~2000 points. */
  curve: { ts: number; equity: number }[];
  /** Fall from the running peak (initial capital is the first peak), in percent ≤ 0, at each curve point (display). */
  drawdown: { ts: number; pct: number }[];
}

const MAX_DETAIL_TRADES = 5000;

const str = (v: unknown): string | null => (typeof v === "string" ? v : typeof v === "number" && Number.isFinite(v) ? String(v) : null);
const numOrNull = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);

export async function backtestDetail(id: string): Promise<BacktestDetailDto> {
  const row = await backtestRunById(id);
  if (!row) throw new DomainError("NOT_FOUND", `There is no backtest run '${id}'.`, { id });
  let report: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(row.report);
    if (parsed && typeof parsed === "object") report = parsed as Record<string, unknown>;
  } catch {
    report = {};
  }
  const rawTrades = Array.isArray(report.trades) ? (report.trades as Record<string, unknown>[]) : [];
  const trades = rawTrades.slice(0, MAX_DETAIL_TRADES).map((t) => ({
    entryTime: Number(t.entryTime),
    exitTime: Number(t.exitTime),
    side: typeof t.side === "string" ? t.side : "",
    qty: str(t.qty) ?? "0",
    entryPrice: str(t.entryPrice) ?? "0",
    exitPrice: str(t.exitPrice) ?? "0",
    fees: str(t.fees) ?? "0",
    pnl: str(t.pnl) ?? "0",
    exitReason: typeof t.exitReason === "string" ? t.exitReason : "",
  }));
  const rawCurve = Array.isArray(report.curve) ? (report.curve as unknown[]) : [];
  const curve = rawCurve
    .filter((p): p is [number, number] => Array.isArray(p) && typeof p[0] === "number" && typeof p[1] === "number")
    .map(([ts, equity]) => ({ ts, equity }));
  const initial = Number(report.initialCapital);
  let peak = Number.isFinite(initial) && initial > 0 ? initial : (curve[0]?.equity ?? 0);
  const drawdown = curve.map((p) => {
    if (p.equity > peak) peak = p.equity;
    return { ts: p.ts, pct: peak > 0 ? ((p.equity - peak) / peak) * 100 : 0 };
  });
  const { report: _omit, ...rest } = row;
  return {
    run: runDto(rest),
    report: {
      initialCapital: str(report.initialCapital),
      finalEquity: str(report.finalEquity),
      netPnl: str(report.netPnl),
      totalReturnPct: numOrNull(report.totalReturnPct),
      maxDrawdownPct: numOrNull(report.maxDrawdownPct),
      sharpe: numOrNull(report.sharpe),
      winRatePct: numOrNull(report.winRatePct),
      profitFactor: numOrNull(report.profitFactor),
      totalFees: str(report.totalFees),
      candles: numOrNull(report.candles),
      tradeCount: numOrNull(report.tradeCount),
      elapsedMs: numOrNull(report.elapsedMs),
    },
    trades,
    tradesTruncated: rawTrades.length > MAX_DETAIL_TRADES,
    curve,
    drawdown,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Starting a run

export interface StartBacktestInput {
  dataSet: string;
  strategy: "sma-cross";
  fast: number;
  slow: number;
  capital: Decimal;
  feeBps: Decimal;
  slippageBps: Decimal;
  qtyStep: Decimal | null;
}

export interface Requester {
  username: string;
  role: string;
}

let running: { by: string; since: number } | null = null;

/** Tests only: whether a run holds the lock. */
export function backtestRunning(): boolean {
  return running !== null;
}

function auditParams(input: StartBacktestInput): Record<string, unknown> {
  return {
    dataSet: input.dataSet.slice(0, 120),
    strategy: input.strategy,
    fast: input.fast,
    slow: input.slow,
    capital: input.capital.toFixed(),
    feeBps: input.feeBps.toFixed(),
    slippageBps: input.slippageBps.toFixed(),
    qtyStep: input.qtyStep ? input.qtyStep.toFixed() : null,
  };
}

export interface StartedBacktest {
  id: string;
  message: string;
  tradeCount: number;
  finalEquity: string;
  totalReturnPct: number | null;
  elapsedMs: number;
}

/**
 * Runs a backtest and stores it. Refusals (unknown data set, a run already going, a window longer than the data)
 * are DomainErrors; every outcome is audited as `backtest_run` with OK, REFUSED or ERROR.
 */
export async function startBacktest(input: StartBacktestInput, by: Requester): Promise<StartedBacktest> {
  const base = { actor: by.username, role: by.role, action: "backtest_run", target: input.dataSet.slice(0, 120), params: auditParams(input) };
  if (running) {
    const message = `A backtest started by ${running.by} is still running (since ${new Date(running.since).toISOString().slice(11, 19)} UTC); start yours when it has finished.`;
    await recordAudit({ ...base, result: "REFUSED", detail: `BACKTEST_BUSY: ${message}` });
    throw new DomainError("BACKTEST_BUSY", message);
  }
  running = { by: by.username, since: Date.now() };
  try {
    let found: ReturnType<typeof findDataSet>;
    try {
      found = findDataSet(input.dataSet);
      if (input.slow > found.dataSet.rows) {
        throw new DomainError("BAD_REQUEST", `slow (${input.slow}) is longer than the data set (${found.dataSet.rows} candles).`);
      }
    } catch (e) {
      const err = e instanceof DomainError ? e : new DomainError("BAD_REQUEST", String(e));
      await recordAudit({ ...base, result: "REFUSED", detail: `${err.code}: ${err.message}` });
      throw err;
    }
    // Let other requests in (and see the lock) before the synchronous run blocks the event loop.
    await new Promise((resolve) => setImmediate(resolve));
    let id: string;
    let outcome: ReturnType<typeof runBacktest>;
    try {
      outcome = runBacktest({
        help: false,
        data: found.file,
        symbol: found.dataSet.symbol,
        strategy: input.strategy,
        fast: input.fast,
        slow: input.slow,
        capital: input.capital,
        feeBps: input.feeBps,
        slippage: input.slippageBps.isZero() ? { kind: "none" } : { kind: "fixed", bps: input.slippageBps },
        json: false,
        seed: 0,
        qtyStep: input.qtyStep,
        deterministic: false,
        save: true,
      });
      id = await saveBacktestRun({
        report: outcome.report,
        curve: outcome.curve,
        dataSet: found.dataSet.name,
        symbol: found.dataSet.symbol,
        strategy: input.strategy,
      });
    } catch (e) {
      const detail = e instanceof Error ? e.message : String(e);
      await recordAudit({ ...base, result: "ERROR", detail: detail.slice(0, 500) });
      throw new DomainError("INTERNAL", `The backtest failed: ${detail}`);
    }
    const r = outcome.report;
    const ret = r.totalReturnPct === null ? "—" : `${r.totalReturnPct >= 0 ? "+" : ""}${r.totalReturnPct.toFixed(2)}%`;
    const message = `Backtest ${id}: ${r.tradeCount} trades over ${r.candles} candles, final equity ${Number(r.finalEquity).toFixed(2)} (${ret}), ${Math.round(r.elapsedMs)} ms.`;
    await recordAudit({ ...base, target: id, result: "OK", detail: message });
    return { id, message, tradeCount: r.tradeCount, finalEquity: r.finalEquity, totalReturnPct: r.totalReturnPct, elapsedMs: r.elapsedMs };
  } finally {
    running = null;
  }
}
