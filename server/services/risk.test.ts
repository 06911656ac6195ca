import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { callerFor, trpcError } from "../../test/desk-support";
import { levelOf, MIN_VAR_OBSERVATIONS } from "./risk";
import { openRiskDesk, T0, type RiskDesk } from "../../test/risk-support";

const DAY = 86_400_000;
let desk: RiskDesk;
beforeEach(async () => {
  desk = await openRiskDesk();
});
afterEach(async () => {
  await desk.close();
});

const limitOf = (s: { limits: { key: string }[] }, key: string) =>
  s.limits.find((l) => l.key === key) as never as { used: string | null; limit: string | null; ratio: number | null; level: string; label: string };

/** A hand-built book: 0.1 BTC and 1 ETH bought at market (ask = mid + 0.5), marks 20000 and 1000, one resting ETH bid. */
async function buildBook() {
  await desk.order({ symbol: "BTC/USDT", side: "BUY", type: "MARKET", quantity: "0.1" });
  await desk.order({ symbol: "ETH/USDT", side: "BUY", type: "MARKET", quantity: "1" });
  await desk.order({ symbol: "ETH/USDT", side: "BUY", type: "LIMIT", quantity: "0.5", price: "900", timeInForce: "GTC" });
}

describe("risk.summary", () => {
  it("measures each limit on a hand-built book", async () => {
    await buildBook();
    const s = await callerFor("viewer").risk.summary();
    // equity = 10000 − fees (0.1×20000.5 + 1×1000.5)×0.001 = 3.00055 − half-spread losses (0.1×0.5 + 1×0.5) = 0.55
    expect(s.equity).toBe("9996.44945");
    expect(limitOf(s, "maxOpenPositions")).toMatchObject({ used: "2", limit: "3", level: "ok" });
    expect(limitOf(s, "maxOpenPositions").ratio).toBeCloseTo(2 / 3, 10);
    // positions 2000 + 1000 at the marks, plus the resting bid 0.5 × 900 = 450
    const portfolio = limitOf(s, "maxPortfolioExposurePct");
    expect(portfolio).toMatchObject({ used: "3450", limit: "9996.44945" });
    expect(portfolio.ratio).toBeCloseTo(3450 / 9996.44945, 10);
    const largest = limitOf(s, "maxSymbolExposurePct");
    expect(largest).toMatchObject({ used: "2000", limit: "4998.224725", label: "Largest symbol exposure (BTC/USDT)" });
    expect(limitOf(s, "maxOrdersPerMinute")).toMatchObject({ used: "3", limit: "60", level: "ok" });
    // the breaker's limits, from its config
    expect(limitOf(s, "breaker.maxConsecutiveLosses")).toMatchObject({ used: "0", limit: "3" });
    expect(limitOf(s, "breaker.maxDailyLossPct")).toMatchObject({ limit: "5" });
    expect(limitOf(s, "breaker.maxOrdersPerMinute")).toMatchObject({ used: "3", limit: "20" });
    expect(limitOf(s, "breaker.maxConsecutiveErrors")).toMatchObject({ used: "0", limit: "4" });

    // exposure per symbol and concentration (positions only: 2000 and 1000 → shares 2/3 and 1/3, HHI 5/9)
    expect(s.exposure.gross).toBe("3000");
    expect(s.exposure.reserved).toBe("450");
    expect(s.exposure.herfindahl).toBeCloseTo(5 / 9, 12);
    expect(s.exposure.effectiveSymbols).toBeCloseTo(1.8, 12);
    expect(s.exposure.bySymbol.map((r) => [r.symbol, r.gross, r.reserved, r.netQty])).toEqual([
      ["BTC/USDT", "2000", "0", "0.1"],
      ["ETH/USDT", "1000", "450", "1"],
    ]);
    expect(s.exposure.bySymbol[0]!.share).toBeCloseTo(2 / 3, 12);
    expect(s.exposure.bySymbol[1]!.exposure).toMatchObject({ used: "1450", limit: "4998.224725" });

    // daily PnL vs the loss limit: the tighter of 5% of the day-start equity (500) and 400
    expect(s.daily).toMatchObject({ limitPct: 5, limitAbs: 400, lossLimit: "400" });
    // plain JSON all the way
    expect(JSON.parse(JSON.stringify(s))).toEqual(s);
  });

  it("shows exposure per venue and per strategy (manual for a person's positions)", async () => {
    await buildBook();
    const s = await callerFor("viewer").risk.summary();
    const venue = desk.engine.venueId();
    // both positions are a person's (manual orders): 2000 + 1000 at the marks, one venue
    expect(s.exposure.byVenue.map((r) => [r.venue, r.gross, r.positions])).toEqual([[venue, "3000", 2]]);
    expect(s.exposure.byVenue[0]!.share).toBe(1);
    expect(s.exposure.byStrategy.map((r) => [r.strategy, r.gross, r.positions])).toEqual([["manual", "3000", 2]]);
    expect(s.exposure.byStrategy[0]!.pctOfEquity).toBeCloseTo((3000 / 9996.44945) * 100, 10);
  });

  it("colours usage: above 75% warns, above 90% is bad", async () => {
    expect([levelOf(null), levelOf(0.75), levelOf(0.76), levelOf(0.9), levelOf(0.91), levelOf(1.2)]).toEqual(["off", "ok", "warn", "warn", "bad", "bad"]);
    await buildBook();
    await desk.order({ symbol: "BTC/USDT", side: "BUY", type: "MARKET", quantity: "0.01" });
    await desk.engine.execute({
      kind: "setRiskLimits",
      limits: { maxOpenPositions: 2, maxPortfolioExposurePct: 100, maxSymbolExposurePct: 50, maxOrdersPerMinute: 5 },
      actor: { username: "ada", role: "admin" },
    });
    const s = await callerFor("viewer").risk.summary();
    // still 2 positions (the second BTC buy adds to the first), at a limit of 2 → 100%
    expect(limitOf(s, "maxOpenPositions")).toMatchObject({ used: "2", limit: "2", ratio: 1, level: "bad" });
    // 4 orders of 5 per minute → 80%
    expect(limitOf(s, "maxOrdersPerMinute")).toMatchObject({ used: "4", limit: "5", level: "warn" });
    // a limit that is not set has no ratio
    expect(s.limits.find((l) => l.key === "maxPortfolioExposure")).toBeUndefined();
  });

  it("says VaR needs more history, then reports historical VaR 95/99 from daily closes", async () => {
    let s = await callerFor("viewer").risk.summary();
    expect(s.var.var95).toBeNull();
    expect(s.var.var99).toBeNull();
    expect(s.var.note).toMatch(/Not enough history: VaR needs 20 daily returns/);

    // 21 days before T0: 10000, 9500 (−5%), 10000, 9700 (−3%), 10000, then flat; two snapshots a day, the last is the close
    const closes = [10000, 9500, 10000, 9700, ...Array<number>(17).fill(10000)];
    const start = T0 - closes.length * DAY;
    let prev = closes[0]!;
    const rows = closes.flatMap((close, i) => {
      const day = Math.floor((start + i * DAY) / DAY) * DAY;
      const morning = prev;
      prev = close;
      const row = (ts: number, e: number) => ({
        ts,
        equity: String(e),
        equityNum: e,
        cash: String(e),
        unrealized: "0",
        realized: "0",
        fees: "0",
        exposure: "0",
        cause: "schedule",
      });
      return [row(day + 3_600_000, morning), row(day + 20 * 3_600_000, close)];
    });
    await desk.tdb.client.equitySnapshot.createMany({ data: rows });
    s = await callerFor("viewer").risk.summary({ sinceMs: T0 - 30 * DAY });
    // 21 past closes + today's (the engine's snapshots at T0: 10000) → 21 returns
    expect(s.var.observations).toBe(21);
    expect(s.var.observations).toBeGreaterThanOrEqual(MIN_VAR_OBSERVATIONS);
    // nearest rank: 95% → 2nd worst of 21 (−3%), 99% → the worst (−5%); amounts on the current equity
    expect(s.var.var95).toMatchObject({ pct: 3, amount: "300.00", observations: 21 });
    expect(s.var.var99).toMatchObject({ pct: 5, amount: "500.00" });
    expect(s.var.note).toMatch(/VaR 99% is the worst observed day/);

    // drawdown: the 9500 day is 5% below the 10000 peak; each point is its bucket's deepest
    expect(s.drawdown.max?.pct).toBeCloseTo(5, 10);
    expect(s.drawdown.max?.equity).toBe(9500);
    expect(s.drawdown.series.length).toBeGreaterThan(10);
    expect(s.drawdown.series.every((p) => p.ddPct >= 0 && p.ddPct <= 5 + 1e-9)).toBe(true);
    expect(s.drawdown.current).toBeCloseTo(0, 10);
  });

  it("keeps the peak from before the window", async () => {
    const row = (ts: number, e: number) => ({
      ts,
      equity: String(e),
      equityNum: e,
      cash: String(e),
      unrealized: "0",
      realized: "0",
      fees: "0",
      exposure: "0",
      cause: "schedule",
    });
    await desk.tdb.client.equitySnapshot.createMany({ data: [row(T0 - 10 * DAY, 12000), row(T0 - 2 * DAY, 10800), row(T0 - DAY, 11400)] });
    const s = await callerFor("viewer").risk.summary({ sinceMs: T0 - 3 * DAY, points: 50 });
    expect(s.drawdown.series.map((p) => [p.equity, p.peak, Number(p.ddPct.toFixed(6))])).toEqual([
      [10800, 12000, 10],
      [11400, 12000, 5],
      [10000, 12000, Number(((2000 / 12000) * 100).toFixed(6))],
    ]);
  });

  it("refuses malformed input and needs a session", async () => {
    expect((await trpcError(callerFor("viewer").risk.summary({ points: 1 }))).code).toBe("BAD_REQUEST");
    expect((await trpcError(callerFor("viewer").risk.summary({ sinceMs: Number.NaN }))).code).toBe("BAD_REQUEST");
    expect((await trpcError(callerFor("viewer").risk.summary({ extra: 1 } as never))).code).toBe("BAD_REQUEST");
    expect((await trpcError(callerFor(null).risk.summary())).code).toBe("UNAUTHORIZED");
  });
});

describe("risk.breakerHistory", () => {
  it("lists trips, resets and trading-state changes, newest first, with who, why and the action", async () => {
    const trader = callerFor("trader");
    await trader.breaker.trip({ reason: "venue looks wrong" });
    desk.clock.advance(60_000);
    await callerFor("admin").breaker.reset({ reason: "venue checked, all fine", force: true });
    const h = await callerFor("viewer").risk.breakerHistory({ limit: 10 });
    const trip = h.events.find((e) => e.kind === "TRIP")!;
    expect(trip).toMatchObject({ reason: "MANUAL", by: "tina", action: "HALT_CANCEL" });
    expect(trip.message).toMatch(/venue looks wrong/);
    const reset = h.events.find((e) => e.kind === "RESET")!;
    expect(reset).toMatchObject({ reason: "MANUAL", by: "ada", message: "venue checked, all fine" });
    expect(h.events.some((e) => e.kind === "STATE" && e.reason === "HALTED")).toBe(true);
    expect(h.events.map((e) => e.ts)).toEqual([...h.events.map((e) => e.ts)].sort((a, b) => b - a));

    const trips = await callerFor("viewer").risk.breakerHistory({ kinds: ["TRIP"] });
    expect(trips.events.map((e) => e.kind)).toEqual(["TRIP"]);
    const first = await callerFor("viewer").risk.breakerHistory({ limit: 1 });
    expect(first.nextBeforeId).not.toBeNull();
    const next = await callerFor("viewer").risk.breakerHistory({ limit: 1, beforeId: first.nextBeforeId! });
    expect(next.events[0]!.id).toBeLessThan(first.events[0]!.id);
  });
});
