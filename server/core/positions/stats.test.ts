import { describe, it, expect } from "vitest";
import { D } from "../money";
import { type Position, applyFill, openPosition } from "./book";
import { type ClosedTrade, type TradeStats, closedTradeFromPosition, computeTradeStats, tradeTotals } from "./stats";

function trade(positionId: string, symbol: string, pnl: string, fees: string, openedAt: number, closedAt: number): ClosedTrade {
  return {
    positionId,
    symbol,
    side: "LONG",
    qty: D(1),
    entryPrice: D(100),
    exitPrice: D(100),
    openedAt,
    closedAt,
    fees: D(fees),
    realizedPnl: D(pnl),
    exitReason: "manual",
  };
}

const T1 = trade("t1", "BTC/USDT", "100", "2", 0, 1_000);
const T2 = trade("t2", "BTC/USDT", "-50", "1", 0, 3_000);
const T3 = trade("t3", "ETH/USDT", "30", "0.5", 1_000, 2_000);
const T4 = trade("t4", "ETH/USDT", "0", "0.5", 0, 2_000);
const T5 = trade("t5", "BTC/USDT", "-25", "1", 2_000, 5_000);

const openSol = openPosition({ id: "sol", symbol: "SOL/USDT", side: "LONG", ts: 0 });
const closedSol: Position = { ...openSol, id: "sol-2", state: "CLOSED", closedAt: 1 };

/** The comparable view of a TradeStats: Decimals as strings, trades by id. */
function view(s: TradeStats) {
  return {
    openCount: s.openCount,
    tradeCount: s.tradeCount,
    wins: s.winCount,
    losses: s.lossCount,
    breakeven: s.breakevenCount,
    winRatePct: s.winRatePct,
    totalPnl: s.totalPnl.toString(),
    averagePnl: s.averagePnl?.toString() ?? null,
    grossProfit: s.grossProfit.toString(),
    grossLoss: s.grossLoss.toString(),
    profitFactor: s.profitFactor,
    averageDurationMs: s.averageDurationMs,
    best: s.bestTrade?.positionId ?? null,
    worst: s.worstTrade?.positionId ?? null,
    averageWin: s.averageWin?.toString() ?? null,
    averageLoss: s.averageLoss?.toString() ?? null,
    expectancy: s.expectancy?.toString() ?? null,
    totalFees: s.totalFees.toString(),
  };
}

const EMPTY = {
  openCount: 0,
  tradeCount: 0,
  wins: 0,
  losses: 0,
  breakeven: 0,
  winRatePct: null,
  totalPnl: "0",
  averagePnl: null,
  grossProfit: "0",
  grossLoss: "0",
  profitFactor: null,
  averageDurationMs: null,
  best: null,
  worst: null,
  averageWin: null,
  averageLoss: null,
  expectancy: null,
  totalFees: "0",
};

describe("computeTradeStats: hand-computed table", () => {
  const cases: { name: string; trades: ClosedTrade[]; positions?: Position[]; expected: ReturnType<typeof view> }[] = [
    { name: "empty input", trades: [], expected: EMPTY },
    {
      name: "mixed: 2 wins, 2 losses, 1 break-even, 1 open position",
      trades: [T1, T2, T3, T4, T5],
      positions: [openSol, closedSol],
      expected: {
        openCount: 1,
        tradeCount: 5,
        wins: 2,
        losses: 2,
        breakeven: 1,
        winRatePct: 40,
        totalPnl: "55",
        averagePnl: "11",
        grossProfit: "130",
        grossLoss: "-75",
        profitFactor: 130 / 75,
        averageDurationMs: 2_000, // (1000 + 3000 + 1000 + 2000 + 3000) / 5
        best: "t1",
        worst: "t2",
        averageWin: "65",
        averageLoss: "-37.5",
        expectancy: "11",
        totalFees: "5",
      },
    },
    {
      name: "all wins: profit factor is null (no loss), average loss null",
      trades: [T1, T3],
      expected: {
        ...EMPTY,
        tradeCount: 2,
        wins: 2,
        winRatePct: 100,
        totalPnl: "130",
        averagePnl: "65",
        grossProfit: "130",
        averageDurationMs: 1_000,
        best: "t1",
        worst: "t3",
        averageWin: "65",
        expectancy: "65",
        totalFees: "2.5",
      },
    },
    {
      name: "all losses: profit factor 0, average win null",
      trades: [T2, T5],
      expected: {
        ...EMPTY,
        tradeCount: 2,
        losses: 2,
        winRatePct: 0,
        totalPnl: "-75",
        averagePnl: "-37.5",
        grossLoss: "-75",
        profitFactor: 0,
        averageDurationMs: 3_000,
        best: "t5",
        worst: "t2",
        averageLoss: "-37.5",
        expectancy: "-37.5",
        totalFees: "2",
      },
    },
    {
      name: "ties go to the earliest closed trade",
      trades: [trade("late", "X", "5", "0", 0, 20), trade("early", "X", "5", "0", 0, 10)],
      expected: {
        ...EMPTY,
        tradeCount: 2,
        wins: 2,
        winRatePct: 100,
        totalPnl: "10",
        averagePnl: "5",
        grossProfit: "10",
        averageDurationMs: 15,
        best: "early",
        worst: "early",
        averageWin: "5",
        expectancy: "5",
      },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(view(computeTradeStats(c.trades, c.positions))).toEqual(c.expected);
    });
  }

  it("per symbol", () => {
    const report = computeTradeStats([T1, T2, T3, T4, T5], [openSol, closedSol]);
    expect(Object.keys(report.bySymbol)).toEqual(["BTC/USDT", "ETH/USDT", "SOL/USDT"]);
    const btc = view(report.bySymbol["BTC/USDT"]!);
    expect(btc).toEqual({
      openCount: 0,
      tradeCount: 3,
      wins: 1,
      losses: 2,
      breakeven: 0,
      winRatePct: 100 / 3,
      totalPnl: "25",
      averagePnl: "8.333333333333333333333333333333333333333",
      grossProfit: "100",
      grossLoss: "-75",
      profitFactor: 100 / 75,
      averageDurationMs: 7_000 / 3,
      best: "t1",
      worst: "t2",
      averageWin: "100",
      averageLoss: "-37.5",
      expectancy: "8.333333333333333333333333333333333333333",
      totalFees: "4",
    });
    const eth = view(report.bySymbol["ETH/USDT"]!);
    expect(eth.profitFactor).toBeNull();
    expect(eth.winRatePct).toBe(50);
    expect(eth.totalPnl).toBe("30");
    expect(eth.breakeven).toBe(1);
    expect(view(report.bySymbol["SOL/USDT"]!)).toEqual({ ...EMPTY, openCount: 1 });
  });
});

describe("tradeTotals", () => {
  /** The totals of computeTradeStats, the same Decimals as strings. */
  function totalsOf(trades: ClosedTrade[]) {
    const s = computeTradeStats(trades);
    return [s.tradeCount, s.winCount, s.lossCount, s.winRatePct, s.grossProfit.toString(), s.grossLoss.toString(), s.profitFactor, s.totalFees.toString()];
  }
  function totals(trades: ClosedTrade[]) {
    const t = tradeTotals(trades);
    return [t.tradeCount, t.winCount, t.lossCount, t.winRatePct, t.grossProfit.toString(), t.grossLoss.toString(), t.profitFactor, t.totalFees.toString()];
  }

  it("gives computeTradeStats' totals on the hand-computed trades, in any order", () => {
    expect(totals([])).toEqual(totalsOf([]));
    expect(totals([T1, T2, T3, T4, T5])).toEqual(totalsOf([T1, T2, T3, T4, T5]));
    expect(totals([T5, T3, T1, T4, T2])).toEqual(totalsOf([T5, T3, T1, T4, T2]));
    expect(totals([T1, T2, T3, T4, T5])).toEqual([5, 2, 2, 40, "130", "-75", 130 / 75, "5"]);
  });

  it("sums in closedAt order as computeTradeStats does, so 40-digit rounding lands the same", () => {
    // Forty significant digits at very different magnitudes: each sum rounds, and the order decides how.
    let seed = 7;
    const next = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return Math.floor(seed / 65536) % n;
    };
    const digits = (n: number) => Array.from({ length: n }, () => String(next(10))).join("");
    const decimal = () => `${next(3) === 0 ? "-" : ""}${1 + next(9)}${digits(next(12))}.${digits(30)}`;
    const trades = Array.from({ length: 300 }, (_, i) =>
      trade(`r${i}`, "BTC/USDT", next(10) === 0 ? "0" : decimal(), next(4) === 0 ? "0" : decimal().replace("-", ""), 0, next(50)),
    );
    expect(totals(trades)).toEqual(totalsOf(trades));
    const sorted = [...trades].sort((a, b) => a.closedAt - b.closedAt);
    expect(totals(sorted)).toEqual(totalsOf(trades));
  });
});

describe("closedTradeFromPosition", () => {
  function closedLong(): Position {
    let p = openPosition({ id: "p1", symbol: "BTC/USDT", side: "LONG", ts: 100 });
    for (const f of [
      { tradeId: "a", side: "BUY" as const, qty: "1", price: "100", fee: "0.1", ts: 200 },
      { tradeId: "b", side: "BUY" as const, qty: "3", price: "104", fee: "0.3", ts: 300 },
      { tradeId: "c", side: "SELL" as const, qty: "2", price: "110", fee: "0.2", ts: 400 },
      { tradeId: "d", side: "SELL" as const, qty: "2", price: "100", fee: "0.2", ts: 500 },
    ]) {
      const r = applyFill(p, f);
      if (!r.ok) throw new Error(r.error.message);
      p = r.value.position;
    }
    return p;
  }

  it("builds the trade from a closed position", () => {
    const r = closedTradeFromPosition(closedLong(), "take_profit");
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const t = r.value;
    expect([t.positionId, t.symbol, t.side, t.exitReason, t.openedAt, t.closedAt]).toEqual(["p1", "BTC/USDT", "LONG", "take_profit", 100, 500]);
    expect(t.qty.toString()).toBe("4");
    expect(t.entryPrice.toString()).toBe("103"); // (100 + 312) / 4
    expect(t.exitPrice.toString()).toBe("105"); // (220 + 200) / 4
    expect(t.fees.toString()).toBe("0.8");
    expect(t.realizedPnl.toString()).toBe("7.2"); // 420 − 412 − 0.8
  });

  it("refuses open positions and positions that never filled", () => {
    const open = closedTradeFromPosition(openSol, "manual");
    expect(open.ok ? "ok" : open.error.code).toBe("NOT_CLOSED");
    const empty = closedTradeFromPosition(closedSol, "manual");
    expect(empty.ok ? "ok" : empty.error.code).toBe("NO_FILLS");
  });
});
