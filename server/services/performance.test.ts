import { TRPCError } from "@trpc/server";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Context } from "../api/context";
import { createCaller } from "../api/root";
import { useFreshDb, type TestDb } from "../../test/auth-support";
import { dailyReturns, drawdown, sharpeRatio } from "../core/risk/metrics";
import { D } from "../core/money";
import { performanceSummary } from "./performance";

const DAY1 = Date.UTC(2024, 0, 1);
const DAY2 = DAY1 + 86_400_000;
const DAY3 = DAY2 + 86_400_000;
const H = 3_600_000;
let tdb: TestDb;

const viewer: Context = {
  user: { id: "u1", username: "viewer1", role: "viewer" },
  sessionToken: null,
  ip: "127.0.0.1",
  resHeaders: new Headers(),
  secureCookies: false,
};

interface T {
  id: string;
  symbol: string;
  side: "LONG" | "SHORT";
  qty: string;
  entry: string;
  exit: string;
  fees: string;
  gross: string;
  pnl: string;
  entryTime: number;
  exitTime: number;
  entrySlip?: number;
  exitSlip?: number;
  /** Left out: a person's trade (`manual`). */
  strategy?: string;
}

async function seedTrade(t: T) {
  const pnl = D(t.pnl);
  await tdb.client.trade.create({
    data: {
      id: `trd-${t.id}`,
      positionId: t.id,
      symbol: t.symbol,
      side: t.side,
      quantity: t.qty,
      entryPrice: t.entry,
      exitPrice: t.exit,
      entryTime: t.entryTime,
      exitTime: t.exitTime,
      durationMs: t.exitTime - t.entryTime,
      fees: t.fees,
      grossPnl: t.gross,
      pnl: t.pnl,
      pnlNum: pnl.toNumber(),
      pnlPct: 0,
      outcome: pnl.greaterThan(0) ? "WIN" : pnl.lessThan(0) ? "LOSS" : "BREAKEVEN",
      exitReason: "signal",
      entrySlippageBps: t.entrySlip ?? null,
      exitSlippageBps: t.exitSlip ?? null,
      strategy: t.strategy ?? null,
    },
  });
}

async function seedEquity(ts: number, equity: string) {
  await tdb.client.equitySnapshot.create({
    data: { ts, equity, equityNum: Number(equity), cash: equity, unrealized: "0", realized: "0", fees: "0", exposure: "0", cause: "schedule" },
  });
}

beforeEach(async () => {
  tdb = useFreshDb();
  // BTC: one win, one loss (hand-checked numbers below); ETH: one win, one break-even.
  await seedTrade({
    id: "p1",
    symbol: "BTC/USDT",
    side: "LONG",
    qty: "0.1",
    entry: "20000",
    exit: "21000",
    fees: "4.1",
    gross: "100",
    pnl: "95.9",
    entryTime: DAY1,
    exitTime: DAY1 + H,
    entrySlip: 2,
    strategy: "sma-cross",
  });
  await seedTrade({
    id: "p2",
    symbol: "BTC/USDT",
    side: "LONG",
    qty: "0.2",
    entry: "21000",
    exit: "20500",
    fees: "8.3",
    gross: "-100",
    pnl: "-108.3",
    entryTime: DAY1 + 2 * H,
    exitTime: DAY1 + 4 * H,
    entrySlip: 1,
    exitSlip: 3,
  });
  await seedTrade({
    id: "p3",
    symbol: "ETH/USDT",
    side: "SHORT",
    qty: "1",
    entry: "1500",
    exit: "1400",
    fees: "0.29",
    gross: "100",
    pnl: "99.71",
    entryTime: DAY2,
    exitTime: DAY2 + H / 2,
    strategy: "sma-cross",
  });
  await seedTrade({
    id: "p4",
    symbol: "ETH/USDT",
    side: "SHORT",
    qty: "2",
    entry: "1400",
    exit: "1400",
    fees: "0",
    gross: "0",
    pnl: "0",
    entryTime: DAY2 + H,
    exitTime: DAY2 + H + 600_000,
    strategy: "rsi",
  });
  for (const [ts, eq] of [
    [DAY1, "10000"],
    [DAY1 + 12 * H, "10050"],
    [DAY1 + 23 * H, "9987.6"],
    [DAY2 + 6 * H, "10100"],
    [DAY2 + 23 * H, "10087.31"],
    [DAY3 + 12 * H, "10200"],
  ] as const)
    await seedEquity(ts, eq);
});
afterEach(async () => {
  await tdb.close();
});

describe("performance.summary", () => {
  it("matches the hand-checked numbers (exact path)", async () => {
    const s = await createCaller(viewer).performance.summary({});
    expect(s.exact).toBe(true);
    const p = s.portfolio;
    expect(p.trades).toBe(4);
    expect(p.wins).toBe(2);
    expect(p.losses).toBe(1);
    expect(p.winRatePct).toBe(50);
    expect(p.netPnl).toBe("87.31"); // 95.9 − 108.3 + 99.71 + 0
    expect(p.grossProfit).toBe("195.61");
    expect(p.grossLoss).toBe("-108.3");
    expect(p.profitFactor).toBeCloseTo(195.61 / 108.3, 12);
    expect(p.fees).toBe("12.69");
    expect(p.avgDurationMs).toBe(((1 + 2 + 0.5 + 1 / 6) * H) / 4); // the mean of 1 h, 2 h, 30 min and 10 min
    // Slippage: 2 bps × 0.1 × 20000 + 1 bps × 0.2 × 21000 + 3 bps × 0.2 × 20500 = 0.4 + 0.42 + 1.23.
    expect(p.slippageCost).toBeCloseTo(2.05, 9);
    expect(p.slippageKnown).toBe(2);
    expect(p.avgSlippageBps).toBeCloseTo(2, 12);
    expect(p.totalCost).toBeCloseTo(14.74, 9);
    expect(p.equityStart).toBe("10000");
    expect(p.equityEnd).toBe("10200");
    expect(p.equityChange).toBe("200");
    expect(p.maxDrawdownPct).toBeCloseTo(((10050 - 9987.6) / 10050) * 100, 9);
    const r2 = 10087.31 / 9987.6 - 1;
    const r3 = 10200 / 10087.31 - 1;
    const mean = (r2 + r3) / 2;
    const sd = Math.sqrt(((r2 - mean) ** 2 + (r3 - mean) ** 2) / 1);
    expect(p.sharpe).toBeCloseTo((mean / sd) * Math.sqrt(365), 9);

    const btc = s.bySymbol.find((x) => x.symbol === "BTC/USDT")!;
    expect(btc).toMatchObject({ trades: 2, wins: 1, losses: 1, winRatePct: 50, netPnl: "-12.4", fees: "12.4", avgDurationMs: 1.5 * H, slippageKnown: 2 });
    expect(btc.profitFactor).toBeCloseTo(95.9 / 108.3, 12);
    expect(btc.slippageCost).toBeCloseTo(2.05, 9);
    const eth = s.bySymbol.find((x) => x.symbol === "ETH/USDT")!;
    expect(eth).toMatchObject({
      trades: 2,
      wins: 1,
      losses: 0,
      winRatePct: 50,
      netPnl: "99.71",
      fees: "0.29",
      profitFactor: null,
      avgDurationMs: H / 3,
      slippageKnown: 0,
      slippageCost: 0,
    });

    expect(s.daily.map((d) => [d.day, d.equityChange, d.trades])).toEqual([
      ["2024-01-01", "-12.4", 2],
      ["2024-01-02", "99.71", 2],
      ["2024-01-03", "112.69", 0],
    ]);
    expect(s.daily[0]!.realized).toBeCloseTo(-12.4, 9);
    expect(s.daily[1]!.realized).toBeCloseTo(99.71, 9);
    expect(s.equity.map((e) => e.equity)).toEqual([10000, 10050, 9987.6, 10100, 10087.31, 10200]);
    expect(s.snapshotCount).toBe(6);
  });

  it("sums the money per quote currency: one currency is the portfolio's figures, a BTC-quoted trade is apart", async () => {
    const usdtOnly = (await performanceSummary({})).portfolio;
    expect(usdtOnly.byCurrency).toEqual([
      {
        currency: "USDT",
        trades: 4,
        netPnl: "87.31",
        grossProfit: "195.61",
        fees: "12.69",
        profitFactor: usdtOnly.profitFactor,
        slippageCost: usdtOnly.slippageCost,
        totalCost: usdtOnly.totalCost,
      },
    ]);
    await seedTrade({
      id: "p5",
      symbol: "ETH/BTC",
      side: "LONG",
      qty: "1",
      entry: "0.05",
      exit: "0.051",
      fees: "0.0001",
      gross: "0.001",
      pnl: "0.0009",
      entryTime: DAY2 + H,
      exitTime: DAY2 + 2 * H,
      exitSlip: 10, // 10 bps × 1 × 0.051
      strategy: "sma-cross", // which also trades BTC/USDT and ETH/USDT (p1, p3)
    });
    for (const exactTradeLimit of [1_000, 1]) {
      const p = (await performanceSummary({}, { exactTradeLimit })).portfolio;
      expect(p.byCurrency.map((c) => [c.currency, c.trades, Number(c.netPnl), Number(c.fees), c.profitFactor])).toEqual([
        ["BTC", 1, 0.0009, 0.0001, null],
        ["USDT", 4, 87.31, 12.69, usdtOnly.profitFactor],
      ]);
      expect(p.byCurrency[0]!.slippageCost).toBeCloseTo(0.000051, 12);
      expect(p.byCurrency[0]!.totalCost).toBeCloseTo(0.000151, 12);
    }
    // Per strategy too: sma-cross's money in each currency apart; the others in one.
    for (const exactTradeLimit of [1_000, 1]) {
      const rows = (await performanceSummary({}, { exactTradeLimit })).byStrategy;
      expect(rows.map((r) => [r.strategy, r.byCurrency.map((c) => [c.currency, Number(c.netPnl), Number(c.fees)])])).toEqual([
        ["manual", [["USDT", -108.3, 8.3]]],
        ["rsi", [["USDT", 0, 0]]],
        [
          "sma-cross",
          [
            ["BTC", 0.0009, 0.0001],
            ["USDT", 195.61, 4.39],
          ],
        ],
      ]);
    }
    // Per day: the day the ETH/BTC trade closed has its BTC PnL apart from the USDT trades' (the sum adds them up).
    const daily = (await performanceSummary({})).daily;
    expect(daily.map((d) => [d.day, d.byCurrency.map((c) => [c.currency, Number(c.realized.toFixed(10)), c.trades])])).toEqual([
      ["2024-01-01", [["USDT", -12.4, 2]]],
      [
        "2024-01-02",
        [
          ["BTC", 0.0009, 1],
          ["USDT", 99.71, 2],
        ],
      ],
      ["2024-01-03", []],
    ]);
    const exactRows = (await performanceSummary({})).byStrategy;
    expect(exactRows.find((r) => r.strategy === "sma-cross")!.byCurrency.map(({ currency, netPnl, fees }) => ({ currency, netPnl, fees }))).toEqual([
      { currency: "BTC", netPnl: "0.0009", fees: "0.0001" },
      { currency: "USDT", netPnl: "195.61", fees: "4.39" },
    ]);
  });

  it("compares strategies side by side (manual for a person's trades), exact and through the SQL path", async () => {
    const s = await performanceSummary({});
    expect(s.byStrategy.map((b) => [b.strategy, b.trades, b.wins, b.losses, b.winRatePct, b.netPnl, b.fees])).toEqual([
      ["manual", 1, 0, 1, 0, "-108.3", "8.3"],
      ["rsi", 1, 0, 0, 0, "0", "0"],
      ["sma-cross", 2, 2, 0, 100, "195.61", "4.39"],
    ]);
    const approx = await performanceSummary({}, { exactTradeLimit: 1 });
    expect(approx.byStrategy.map((b) => [b.strategy, b.trades, b.wins, b.losses])).toEqual(s.byStrategy.map((b) => [b.strategy, b.trades, b.wins, b.losses]));
    for (const [i, b] of approx.byStrategy.entries()) expect(Number(b.netPnl)).toBeCloseTo(Number(s.byStrategy[i]!.netPnl), 9);
    // a window that cuts a day: the edge comes from SQL, grouped the same way
    const day2 = await performanceSummary({ from: DAY2 + H / 4, to: DAY3 });
    expect(day2.byStrategy.map((b) => [b.strategy, b.trades, b.netPnl])).toEqual([
      ["rsi", 1, "0"],
      ["sma-cross", 1, "99.71"],
    ]);
  });

  it("gives the same numbers through the SQL aggregation path (approximate)", async () => {
    const exact = await performanceSummary({});
    const approx = await performanceSummary({}, { exactTradeLimit: 1 });
    expect(approx.exact).toBe(false);
    const near = (a: string, b: string) => expect(Number(a)).toBeCloseTo(Number(b), 9);
    near(approx.portfolio.netPnl, exact.portfolio.netPnl);
    near(approx.portfolio.fees, exact.portfolio.fees);
    near(approx.portfolio.grossLoss, exact.portfolio.grossLoss);
    expect(approx.portfolio.profitFactor).toBeCloseTo(exact.portfolio.profitFactor!, 9);
    expect(approx.portfolio.winRatePct).toBe(exact.portfolio.winRatePct);
    expect(approx.portfolio.avgDurationMs).toBe(exact.portfolio.avgDurationMs);
    expect(approx.bySymbol.map((b) => [b.symbol, b.trades, b.wins, b.losses, b.profitFactor === null])).toEqual(
      exact.bySymbol.map((b) => [b.symbol, b.trades, b.wins, b.losses, b.profitFactor === null]),
    );
    for (const [i, b] of approx.bySymbol.entries()) near(b.netPnl, exact.bySymbol[i]!.netPnl);
  });

  it("filters by exit time and snapshot time", async () => {
    const s = await createCaller(viewer).performance.summary({ from: DAY2, to: DAY3 });
    expect(s.portfolio.trades).toBe(2);
    expect(s.bySymbol.map((b) => b.symbol)).toEqual(["ETH/USDT"]);
    expect(s.portfolio.netPnl).toBe("99.71");
    expect(s.portfolio.equityStart).toBe("10100");
    expect(s.portfolio.equityEnd).toBe("10087.31");
    expect(s.portfolio.sharpe).toBeNull(); // one day: no return
    expect(s.daily).toHaveLength(1);
    expect(s.daily[0]!.equityChange).toBe("-12.69");
  });

  it("is empty, not broken, without data", async () => {
    const s = await createCaller(viewer).performance.summary({ from: DAY3 + 10 * 86_400_000 });
    expect(s.portfolio).toMatchObject({ trades: 0, winRatePct: null, netPnl: "0", profitFactor: null, sharpe: null, equityStart: null });
    expect(s.equity).toEqual([]);
    expect(s.daily).toEqual([]);
  });

  it("refuses bad windows in words, and needs a session", async () => {
    const c = createCaller(viewer);
    await expect(c.performance.summary({ from: DAY2, to: DAY1 })).rejects.toThrow(/from must be before to/);
    await expect(c.performance.summary({ from: Number.NaN })).rejects.toThrow(/from must be/);
    await expect(c.performance.summary({ from: -5 })).rejects.toThrow(/before 1970/);
    const anon = createCaller({ ...viewer, user: null });
    await expect(anon.performance.summary({})).rejects.toBeInstanceOf(TRPCError);
  });

  it("downsamples a long equity history to the requested points", async () => {
    const rows = Array.from({ length: 3000 }, (_, i) => ({
      ts: DAY3 + 13 * H + i * 60_000,
      equity: String(10200 + i),
      equityNum: 10200 + i,
      cash: "0",
      unrealized: "0",
      realized: "0",
      fees: "0",
      exposure: "0",
      cause: "schedule",
    }));
    await tdb.client.equitySnapshot.createMany({ data: rows });
    const s = await createCaller(viewer).performance.summary({ from: DAY3, points: 100 });
    expect(s.snapshotCount).toBe(3001);
    expect(s.equity.length).toBeLessThanOrEqual(102);
    expect(s.equity.at(-1)!.equity).toBe(10200 + 2999);
    expect(s.equity[0]!.equity).toBe(10200);
    // Daily closes from SQL give the same Sharpe as the full series.
    const all = await tdb.client.equitySnapshot.findMany({ orderBy: { ts: "asc" } });
    const full = sharpeRatio(dailyReturns(all.map((r) => ({ ts: r.ts, equity: D(r.equity) }))));
    const whole = await createCaller(viewer).performance.summary({});
    expect(whole.portfolio.sharpe).toBeCloseTo(full!, 12);
  });

  it("keeps up with new trades and snapshots (incremental rollup)", async () => {
    const c = createCaller(viewer);
    expect((await c.performance.summary({})).portfolio.trades).toBe(4);
    await seedTrade({
      id: "p5",
      symbol: "BTC/USDT",
      side: "LONG",
      qty: "0.1",
      entry: "20000",
      exit: "20100",
      fees: "1",
      gross: "10",
      pnl: "9",
      entryTime: DAY3,
      exitTime: DAY3 + H,
    });
    await seedEquity(DAY3 + 13 * H, "10209");
    const s = await c.performance.summary({});
    expect(s.portfolio.trades).toBe(5);
    expect(s.portfolio.netPnl).toBe("96.31");
    expect(s.portfolio.equityEnd).toBe("10209");
    expect(s.daily.at(-1)).toMatchObject({ day: "2024-01-03", equityChange: "121.69", trades: 1 });
  });

  it("answers windows that cut days and hours like a full scan", async () => {
    // Many snapshots and trades at odd times; windows with edges inside days and hours.
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const snaps = Array.from({ length: 2000 }, (_, i) => {
      const equity = (10_000 + 300 * Math.sin(i / 40) + 50 * rnd()).toFixed(2);
      return {
        ts: DAY3 + 13 * H + i * 97_000,
        equity,
        equityNum: Number(equity),
        cash: "0",
        unrealized: "0",
        realized: "0",
        fees: "0",
        exposure: "0",
        cause: "schedule",
      };
    });
    await tdb.client.equitySnapshot.createMany({ data: snaps });
    for (let i = 0; i < 60; i++) {
      const exitTime = DAY3 + 13 * H + Math.floor(rnd() * 2000 * 97_000);
      const pnl = (rnd() * 40 - 20).toFixed(2);
      await seedTrade({
        id: `r${i}`,
        symbol: i % 3 ? "BTC/USDT" : "SOL/USDT",
        side: "LONG",
        qty: "1",
        entry: "100",
        exit: "101",
        fees: "0.2",
        gross: pnl,
        pnl,
        entryTime: exitTime - 60_000,
        exitTime,
      });
    }
    const c = createCaller(viewer);
    await c.performance.summary({}); // builds the rollup
    for (const [from, to] of [
      [DAY3 + 17 * H + 123_457, DAY3 + 2 * 86_400_000 + 5 * H + 999],
      [DAY3 + 20 * H + 1, DAY3 + 20 * H + 30 * 60_000],
      [DAY3, DAY3 + 3 * 86_400_000 - 1],
    ] as const) {
      const s = await performanceSummary({ from, to }, { exactTradeLimit: 0 });
      const trades = await tdb.client.trade.findMany({ where: { exitTime: { gte: from, lt: to } } });
      expect(s.portfolio.trades).toBe(trades.length);
      expect(Number(s.portfolio.netPnl)).toBeCloseTo(
        trades.reduce((t, x) => t + x.pnlNum, 0),
        6,
      );
      const eq = await tdb.client.equitySnapshot.findMany({ where: { ts: { gte: from, lt: to } }, orderBy: { ts: "asc" } });
      expect(s.snapshotCount).toBe(eq.length);
      const series = eq.map((r) => ({ ts: r.ts, equity: D(r.equity) }));
      expect(s.portfolio.maxDrawdownPct).toBeCloseTo(drawdown(series)!.maxByPct.pct!, 9);
      expect(s.portfolio.sharpe ?? null).toEqual(sharpeRatio(dailyReturns(series)));
      expect(s.portfolio.equityStart).toBe(D(eq[0]!.equity).toFixed());
      expect(s.portfolio.equityEnd).toBe(D(eq.at(-1)!.equity).toFixed());
    }
  });
});
