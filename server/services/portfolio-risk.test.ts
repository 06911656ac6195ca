/**
 * risk.portfolio end to end: a real engine on a migrated SQLite file, ten Bittrex altcoins against BTC as the desk's
 * instruments, and the runtime's MarketHistory fed with their recorded candles the way the replay feeds it.
 */
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { callerFor, trpcError } from "../../test/desk-support";
import { closePortfolioDesk, openPortfolioDesk, PORTFOLIO_SETS, type PortfolioDesk } from "../../test/portfolio-desk";
import { clearPortfolioRiskCache, PORTFOLIO_CACHE_MS, PORTFOLIO_POINT_EVERY_MS, portfolioRisk, recordPortfolioRiskPoint } from "./portfolio-risk";

const SYMBOLS = PORTFOLIO_SETS.map((s) => s.symbol);

type Desk = PortfolioDesk;

let desk: Desk | null = null;
afterEach(async () => {
  clearPortfolioRiskCache();
  if (!desk) return;
  await closePortfolioDesk(desk);
  desk = null;
});

/** The desk with `symbols` traded and the history as the replay leaves it after `playedRows` rows (or every row). */
async function openDesk(options: { symbols?: string[]; rows?: number } = {}): Promise<Desk> {
  const symbols = options.symbols ?? SYMBOLS;
  desk = await openPortfolioDesk({ traded: symbols, history: { symbols, rows: options.rows }, engineReadsHistory: false, quoteAtHistoryEnd: true });
  return desk;
}

async function buy(d: Desk, symbol: string): Promise<void> {
  const result = await d.engine.execute({
    kind: "signal",
    signal: { id: `sig-${symbol}`, symbol, action: "BUY", confidence: 0.9, strategy: "test", ts: d.clock.now() },
    source: "test",
  });
  expect(result.ok, result.ok ? "" : result.error.message).toBe(true);
}

describe("risk.portfolio on the recorded ten-symbol portfolio", () => {
  it("returns the contract: correlation, VaR/ES, clusters, a target per method and the current weights", async () => {
    const d = await openDesk();
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
    const d = await openDesk();
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
