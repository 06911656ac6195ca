/**
 * risk.portfolio end to end: a real engine on a migrated SQLite file, ten Bittrex altcoins against BTC as the desk's
 * instruments, and the runtime's MarketHistory fed with their recorded candles the way the replay feeds it.
 */
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { callerFor, trpcError } from "../../test/desk-support";
import { openSqlitePortfolioDesk, PORTFOLIO_SYMBOLS as SYMBOLS, type SqlitePortfolioDesk } from "../../test/portfolio-desk";
import { ManualClock, MINUTE_MS } from "../core/clock";
import { type RiskLimitsSettings } from "../engine/settings";
import { FakeScheduler } from "../../test/replay/fake-scheduler";
import {
  clearPortfolioRiskCache,
  PORTFOLIO_CACHE_MS,
  PORTFOLIO_POINT_EVERY_MS,
  portfolioRisk,
  recordPortfolioRiskPoint,
  startPortfolioRiskHistory,
} from "./portfolio-risk";

type Desk = SqlitePortfolioDesk;

let desk: Desk | null = null;
afterEach(async () => {
  clearPortfolioRiskCache();
  if (!desk) return;
  await desk.close();
  desk = null;
});

/** The desk with `symbols` traded and the history as the replay leaves it after `playedRows` rows (or every row). */
async function openDesk(options: { symbols?: string[]; rows?: number; limits?: Partial<RiskLimitsSettings> } = {}): Promise<Desk> {
  const symbols = options.symbols ?? SYMBOLS;
  // The engine trades without the history (only risk.portfolio reads it, from the runtime); the quotes are at the last played row.
  desk = await openSqlitePortfolioDesk({
    traded: symbols,
    historySymbols: symbols,
    history: false,
    ...(options.limits && { riskLimits: options.limits }),
    ...(options.rows !== undefined && { historyRows: options.rows, quoteRows: options.rows }),
  });
  return desk;
}

async function buy(d: Desk, symbol: string): Promise<void> {
  const result = await d.send(symbol);
  expect(result.ok, result.ok ? "" : result.error.message).toBe(true);
}

describe("risk.portfolio on the recorded ten-symbol portfolio", () => {
  it("returns the contract: correlation, VaR/ES, clusters, a target per method and the current weights", async () => {
    const d = await openDesk({ limits: { maxCorrelatedExposurePct: 40 } });
    await buy(d, "ADA/BTC");
    await buy(d, "XLM/BTC");
    await buy(d, "ETH/BTC");
    const view = await callerFor("viewer").risk.portfolio();
    expect(view.reason).toBeNull();
    // The contract's fields and types.
    expect(typeof view.asOf).toBe("number");
    // 20 days of hourly bars in a 30-day window: more than the half needed.
    expect(view.window).toMatchObject({ bars: 720, barMinutes: 60, minHistory: 360 });
    expect(view.window.used).toBeGreaterThan(470);
    expect(view.symbols).toEqual(SYMBOLS);
    expect(view.correlation).toHaveLength(10);
    for (let i = 0; i < 10; i++) {
      expect(view.correlation[i]).toHaveLength(10);
      expect(view.correlation[i]![i]).toBeCloseTo(1, 12);
      for (let j = 0; j < 10; j++) expect(view.correlation[i]![j]).toBeCloseTo(view.correlation[j]![i]!, 12);
    }
    expect(view.var95Pct).toBeGreaterThan(0);
    expect(view.var99Pct!).toBeGreaterThan(view.var95Pct!);
    expect(view.es95Pct!).toBeGreaterThan(view.var95Pct!);
    for (const cluster of view.clusters) {
      expect(cluster.symbols.length).toBeGreaterThan(1);
      expect(typeof cluster.grossExposure).toBe("string");
      expect(cluster.limit).toBe("0.4"); // 40 % of 1 BTC
    }
    expect(view.correlatedExposureLimitPct).toBe(40);
    expect(view.targets.map((t) => t.method)).toEqual(["risk_parity", "min_variance", "max_sharpe", "kelly"]);
    for (const target of view.targets) {
      expect(Object.keys(target.weights)).toEqual(SYMBOLS);
      expect(Object.values(target.weights).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
    }
    expect(Object.keys(view.current).sort()).toEqual(["ADA/BTC", "ETH/BTC", "XLM/BTC"]);
    expect(Object.values(view.current).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
    // The decomposition: one row per position, the components summing to the 95 % VaR.
    expect(view.decomposition.map((p) => p.symbol).sort()).toEqual(["ADA/BTC", "ETH/BTC", "XLM/BTC"]);
    expect(view.decomposition.reduce((a, p) => a + p.componentVarPct!, 0)).toBeCloseTo(view.var95Pct!, 9);
    expect(view.quote).toBe("BTC");
    expect(JSON.parse(JSON.stringify(view))).toEqual(view);
  });

  it("shows the cluster limit the gate enforces: off when maxCorrelatedExposurePct is off, never a default", async () => {
    const d = await openDesk({ limits: { correlationThreshold: 0.5 } });
    await buy(d, "ADA/BTC");
    await buy(d, "XLM/BTC");
    const off = await callerFor("viewer").risk.portfolio();
    expect(off.clusters.length).toBeGreaterThan(0);
    expect(off.correlatedExposureLimitPct).toBeNull();
    for (const cluster of off.clusters) expect(cluster).toMatchObject({ limit: null, ratio: null });
    const admin = { username: "ada", role: "admin" as const };
    await d.engine.execute({ kind: "setRiskLimits", limits: { ...d.engine.riskSettings().limits, maxCorrelatedExposurePct: 25 }, actor: admin });
    clearPortfolioRiskCache();
    const on = await callerFor("viewer").risk.portfolio();
    expect(on.correlatedExposureLimitPct).toBe(25);
    for (const cluster of on.clusters) expect(Number(cluster.limit)).toBeCloseTo(0.25 * Number(on.equity), 12);
  });

  it("with two symbols gives every method a target (the 40 % weight cap is raised to one half)", async () => {
    await openDesk({ symbols: ["ADA/BTC", "XLM/BTC"] });
    const view = await callerFor("viewer").risk.portfolio();
    expect(view.targetProblems.filter((p) => p.code.includes("CAP"))).toEqual([]);
    expect(view.targets.map((t) => t.method)).toContain("min_variance");
    for (const t of view.targets.filter((x) => x.method !== "risk_parity")) for (const w of Object.values(t.weights)) expect(w).toBeLessThanOrEqual(0.5 + 1e-9);
  });

  it("finds the ADA/XLM cluster at a lower threshold and counts the positions in it", async () => {
    const d = await openDesk();
    await buy(d, "ADA/BTC");
    await buy(d, "XLM/BTC");
    const view = await callerFor("viewer").risk.portfolio({ correlationThreshold: 0.5 });
    const cluster = view.clusters.find((c) => c.symbols.includes("ADA/BTC"))!;
    expect(cluster.symbols).toContain("XLM/BTC");
    expect(Number(cluster.grossExposure)).toBeGreaterThan(0.15);
    expect(cluster.pctOfEquity).toBeCloseTo((Number(cluster.grossExposure) / Number(view.equity)) * 100, 9);
  });

  it("is untrusted with two days of history: empty correlation, no VaR, a reason; current weights still shown", async () => {
    const d = await openDesk({ rows: 2 * 288 });
    await buy(d, "ETH/BTC");
    const view = await callerFor("viewer").risk.portfolio();
    expect(view.correlation).toEqual([]);
    expect(view.var95Pct).toBeNull();
    expect(view.targets).toEqual([]);
    expect(view.clusters).toEqual([]);
    expect(view.reason).toMatch(/^Not enough history yet: \d+ of the 360 bars needed/);
    expect(view.current).toEqual({ "ETH/BTC": 1 });
  });

  it("with one symbol says there is no correlation to show", async () => {
    await openDesk({ symbols: ["ETH/BTC"] });
    const view = await callerFor("viewer").risk.portfolio();
    expect(view.correlation).toEqual([]);
    expect(view.targets).toEqual([]);
    expect(view.reason).toMatch(/one symbol \(ETH\/BTC\): a one-symbol portfolio has no correlation to show/);
    // Its VaR is still a figure (one position's), and its history is recorded.
    expect(view.targetProblems).toEqual([]);
    expect(view.var95Pct).not.toBeNull();
    expect(await recordPortfolioRiskPoint(Date.UTC(2026, 0, 1))).toBe(true);
  });

  it.each([
    [{ barMinutes: 7 }, /barMinutes must be one of 5, 15, 60, 240 or 1440/],
    [{ windowBars: 3 }, /windowBars must be at least 10/],
    [{ windowBars: 100, barMinutes: 1440 }, /at most 34 days/],
    [{ correlationThreshold: 1.5 }, /correlationThreshold must be at most 0.99/],
    [{ extra: 1 }, /extra|unrecognized/i],
  ])("refuses %j in words", async (input, message) => {
    await openDesk({ symbols: ["ETH/BTC"], rows: 20 });
    const error = await trpcError(callerFor("viewer").risk.portfolio(input as never));
    expect(error.code).toBe("BAD_REQUEST");
    expect(error.message).toMatch(message);
  });

  it("needs a session", async () => {
    await openDesk({ symbols: ["ETH/BTC"], rows: 20 });
    expect((await trpcError(callerFor(null).risk.portfolio())).code).toBe("UNAUTHORIZED");
  });
});

describe("expected returns from the strategies' signals", () => {
  const maxSharpe = (view: Awaited<ReturnType<typeof portfolioRisk>>) => view.targets.find((t) => t.method === "max_sharpe")!;

  it("a fresh signal's expectedReturn replaces its symbol's historical mean in max Sharpe and Kelly, and says so", async () => {
    const d = await openDesk();
    const before = maxSharpe(await portfolioRisk());
    expect(Object.values(before.expectedReturnSource!).every((s) => s === "history")).toBe(true);
    // The symbol max Sharpe holds least of on history alone.
    const symbol = SYMBOLS.reduce((a, b) => ((before.weights[a] ?? 0) <= (before.weights[b] ?? 0) ? a : b));
    const result = await d.engine.execute({
      kind: "signal",
      signal: { id: "sig-forecast", symbol, action: "BUY", confidence: 0.9, expectedReturn: 0.05, strategy: "model-a", ts: d.clock.now() },
      source: "test",
    });
    expect(result.ok, result.ok ? "" : result.error.message).toBe(true);
    clearPortfolioRiskCache();
    const view = await portfolioRisk();
    const after = maxSharpe(view);
    // +5 % over a day is ≈ 0.2 % per hourly bar, far above any 30-day mean: the optimizer moves toward it.
    expect(after.weights[symbol]!).toBeGreaterThan(before.weights[symbol]! + 0.1);
    expect(after.expectedReturnSource![symbol]).toBe("signal");
    expect(Object.entries(after.expectedReturnSource!).filter(([, s]) => s === "signal")).toEqual([[symbol, "signal"]]);
    expect(view.targets.find((t) => t.method === "kelly")!.expectedReturnSource![symbol]).toBe("signal");
    // Risk parity and min variance take no expected returns: nothing to name.
    expect(view.targets.find((t) => t.method === "min_variance")!.expectedReturnSource).toBeUndefined();
    expect(view.signalReturns).toEqual({ freshnessMs: 24 * 60 * MINUTE_MS, horizonMs: 24 * 60 * MINUTE_MS });

    // A day and a bit later the forecast is stale: back to the history's means and the weights they give.
    d.clock.advance(24 * 60 * MINUTE_MS + 1);
    clearPortfolioRiskCache();
    const stale = maxSharpe(await portfolioRisk());
    expect(stale.expectedReturnSource![symbol]).toBe("history");
    for (const s of SYMBOLS) expect(stale.weights[s]!).toBeCloseTo(before.weights[s]!, 6);
  });

  it("a SELL forecasts a fall: its symbol's max Sharpe weight goes to zero", async () => {
    const d = await openDesk();
    const before = maxSharpe(await portfolioRisk());
    const symbol = SYMBOLS.reduce((a, b) => ((before.weights[a] ?? 0) >= (before.weights[b] ?? 0) ? a : b));
    expect(before.weights[symbol]!).toBeGreaterThan(0.1);
    // Whatever the gate makes of a SELL with nothing to sell, the strategy's forecast stands.
    await d.engine.execute({
      kind: "signal",
      signal: { id: "sig-fall", symbol, action: "SELL", confidence: 0.9, expectedReturn: 0.05, strategy: "model-b", ts: d.clock.now() },
      source: "test",
    });
    clearPortfolioRiskCache();
    const after = maxSharpe(await portfolioRisk());
    expect(after.expectedReturnSource![symbol]).toBe("signal");
    expect(after.weights[symbol]!).toBeCloseTo(0, 6);
  });
});

describe("the cache", () => {
  it("serves the same figures for PORTFOLIO_CACHE_MS, then computes them again", async () => {
    const d = await openDesk({ symbols: ["ADA/BTC", "XLM/BTC"] });
    const t = Date.UTC(2026, 0, 1);
    const first = await portfolioRisk({}, t);
    await buy(d, "ADA/BTC");
    expect(await portfolioRisk({}, t + PORTFOLIO_CACHE_MS - 1)).toBe(first);
    // Another input is another entry.
    expect((await portfolioRisk({ barMinutes: 240, windowBars: 100 }, t + 1)).window.barMinutes).toBe(240);
    const later = await portfolioRisk({}, t + PORTFOLIO_CACHE_MS);
    expect(later).not.toBe(first);
    expect(later.current).toEqual({ "ADA/BTC": 1 });
    expect(first.current).toEqual({});
  });
});

describe("the figures' history", () => {
  it("records a point at most every few minutes, only while trusted, and lists them oldest first", async () => {
    const d = await openDesk();
    await buy(d, "ADA/BTC");
    const t0 = Date.UTC(2026, 0, 1);
    expect(await recordPortfolioRiskPoint(t0)).toBe(true);
    expect(await recordPortfolioRiskPoint(t0 + PORTFOLIO_POINT_EVERY_MS - 1)).toBe(false);
    expect(await recordPortfolioRiskPoint(t0 + PORTFOLIO_POINT_EVERY_MS)).toBe(true);
    const { points } = await callerFor("viewer").risk.portfolioHistory();
    expect(points.map((p) => p.ts)).toEqual([t0, t0 + PORTFOLIO_POINT_EVERY_MS]);
    const view = await callerFor("viewer").risk.portfolio();
    expect(points[1]).toMatchObject({ asOf: view.asOf, symbols: 10 });
    // REAL through Prisma keeps 15 significant digits.
    for (const key of ["var95Pct", "var99Pct", "es95Pct"] as const) expect(points[1]![key]).toBeCloseTo(view[key]!, 12);
  });

  it("keeps the allocation with each point: target weights by method and the current weights", async () => {
    const d = await openDesk();
    await buy(d, "ADA/BTC");
    expect(await recordPortfolioRiskPoint(Date.UTC(2026, 0, 1))).toBe(true);
    const [point] = (await callerFor("viewer").risk.portfolioHistory()).points;
    const view = await callerFor("viewer").risk.portfolio();
    expect(Object.keys(point!.targets!)).toEqual(["risk_parity", "min_variance", "max_sharpe", "kelly"]);
    for (const target of view.targets) {
      for (const symbol of SYMBOLS) expect(point!.targets![target.method]![symbol]).toBeCloseTo(target.weights[symbol]!, 12);
    }
    expect(point!.current).toEqual({ "ADA/BTC": 1 });
  });

  it("computes and records on its schedule, with the interval it is given, one tick after the other, until stopped", async () => {
    await openDesk({ rows: 100 });
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const timers = new FakeScheduler(clock);
    const calls: number[] = [];
    const stop = startPortfolioRiskHistory({
      everyMs: 15 * MINUTE_MS,
      timers,
      clock,
      record: (now) => {
        calls.push(now);
        return calls.length === 2 ? Promise.reject(new Error("store busy")) : Promise.resolve(true);
      },
      log: (m) => logs.push(m),
    });
    const logs: string[] = [];
    const settle = () => new Promise<void>((resolve) => setImmediate(resolve));
    timers.advance(15 * MINUTE_MS - 1);
    expect(calls).toEqual([]);
    timers.advance(1);
    await settle();
    timers.advance(15 * MINUTE_MS);
    await settle();
    timers.advance(15 * MINUTE_MS);
    await settle();
    const t0 = Date.UTC(2026, 0, 1);
    expect(calls).toEqual([t0 + 15 * MINUTE_MS, t0 + 30 * MINUTE_MS, t0 + 45 * MINUTE_MS]);
    expect(logs).toEqual(["portfolio risk point not recorded: store busy"]); // a failed tick is said, and the schedule goes on
    expect((await callerFor("viewer").risk.portfolioHistory()).everyMs).toBe(15 * MINUTE_MS); // the page says the interval in force
    stop();
    timers.advance(60 * MINUTE_MS);
    expect(calls).toHaveLength(3);
    expect(timers.pending).toBe(0);
  });

  it("records nothing while the statistics are untrusted", async () => {
    await openDesk({ rows: 100 });
    expect(await recordPortfolioRiskPoint(Date.UTC(2026, 0, 1))).toBe(false);
    expect((await callerFor("viewer").risk.portfolioHistory()).points).toEqual([]);
  });
});

/** The keys of a JSON value, recursively (arrays by their first element; record keys of weights/current as "*"). */
function shapeOf(value: unknown, key = ""): unknown {
  if (Array.isArray(value)) return value.length === 0 ? [] : [shapeOf(value[0], key)];
  if (value !== null && typeof value === "object") {
    if (["weights", "current", "expectedReturnSource"].includes(key)) return "record";
    return Object.fromEntries(
      Object.entries(value)
        .map(([k, v]) => [k, shapeOf(v, k)])
        .sort(([a], [b]) => String(a).localeCompare(String(b))),
    );
  }
  return typeof value;
}

describe("the e2e fixture (e2e/fixtures/portfolio-risk.json, this desk's output on the recorded portfolio at threshold 0.5)", () => {
  it("has the shape risk.portfolio returns, so the browser test renders what the server sends", async () => {
    const fixture = JSON.parse(readFileSync("e2e/fixtures/portfolio-risk.json", "utf8")) as { portfolio: unknown; history: { points: object[] } };
    // The fixture was recorded with a 40 % cluster cap in force (its clusters carry a limit).
    const d = await openDesk({ limits: { maxCorrelatedExposurePct: 40 } });
    await buy(d, "ADA/BTC");
    await buy(d, "XLM/BTC");
    await buy(d, "ETH/BTC");
    const view = await callerFor("viewer").risk.portfolio({ correlationThreshold: 0.5 });
    expect(shapeOf(fixture.portfolio)).toEqual(shapeOf(view));
    expect(fixture.portfolio).toMatchObject({ symbols: view.symbols, var95Pct: view.var95Pct, current: view.current });
    expect(await recordPortfolioRiskPoint(Date.UTC(2026, 0, 1))).toBe(true);
    const history = await callerFor("viewer").risk.portfolioHistory();
    expect(Object.keys(fixture.history.points[0]!).sort()).toEqual(Object.keys(history.points[0]!).sort());
  });
});
