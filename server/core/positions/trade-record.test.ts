import { describe, expect, it } from "vitest";
import { D } from "../money";
import { applyFill, openPosition, type FillInput, type Position, type PositionSide } from "./book";
import { exitReasonOf, slippageBps, tradeOutcome, tradeRecordOf } from "./trade-record";

function positionWith(side: PositionSide, fills: FillInput[]): Position {
  return fills.reduce(
    (p, f) => {
      const r = applyFill(p, f);
      if (!r.ok) throw new Error(r.error.message);
      return r.value.position;
    },
    openPosition({ id: "pos-1", symbol: "BTC/USDT", side, ts: 500 }),
  );
}

describe("slippageBps", () => {
  it.each<[string, string | null, string, boolean, number | null]>([
    ["a buy filled above the request pays", "100", "100.5", true, 50],
    ["a buy filled below the request gains", "100", "99.5", true, -50],
    ["a sell filled below the request pays", "100", "99.5", false, 50],
    ["a sell filled above the request gains", "100", "100.25", false, -25],
    ["no requested price", null, "100", true, null],
    ["a zero requested price", "0", "100", true, null],
    ["nothing filled", "100", "0", true, null],
    ["rounded to 4 places", "3", "3.0001", true, 0.3333],
  ])("%s", (_name, requested, filled, buy, expected) => {
    expect(slippageBps(requested === null ? null : D(requested), D(filled), buy)).toBe(expected);
  });
});

describe("exitReasonOf and tradeOutcome", () => {
  it.each<[string | undefined, string]>([
    [undefined, "signal"],
    ["", "signal"],
    ["entry", "signal"],
    ["stop_loss", "stop_loss"],
    ["manual", "manual"],
  ])("reason tag %s → %s", (tag, reason) => expect(exitReasonOf(tag)).toBe(reason));

  it.each<[string, string]>([
    ["0", "BREAKEVEN"],
    ["-0.01", "LOSS"],
    ["0.01", "WIN"],
  ])("pnl %s → %s", (pnl, outcome) => expect(tradeOutcome(D(pnl))).toBe(outcome));
});

describe("tradeRecordOf", () => {
  const context = {
    exitReason: "take_profit",
    entryRequested: D("100"),
    exitRequested: D("110"),
    strategy: "sma",
    signalId: "sig-1",
    venue: "kraken",
    now: 99_999,
  };

  it.each<[string, PositionSide, FillInput[], Record<string, unknown>]>([
    [
      "a long closed at a profit, with fees and slippage both ways",
      "LONG",
      [
        { tradeId: "t1", side: "BUY", qty: "2", price: "101", fee: "0.2", ts: 1_000 },
        { tradeId: "t2", side: "SELL", qty: "2", price: "109", fee: "0.2", ts: 2_000 },
      ],
      {
        side: "LONG",
        quantity: "2",
        entryPrice: "101",
        exitPrice: "109",
        entryTime: 1_000,
        exitTime: 2_000,
        fees: "0.4",
        grossPnl: "16",
        pnl: "15.6",
        pnlPct: 7.722772,
        outcome: "WIN",
        entrySlippageBps: 100,
        exitSlippageBps: 90.9091,
      },
    ],
    [
      "a short closed at a loss",
      "SHORT",
      [
        { tradeId: "t1", side: "SELL", qty: "1", price: "99", fee: "0", ts: 1_000 },
        { tradeId: "t2", side: "BUY", qty: "1", price: "111", fee: "0", ts: 3_000 },
      ],
      {
        side: "SHORT",
        quantity: "1",
        entryPrice: "99",
        exitPrice: "111",
        entryTime: 1_000,
        exitTime: 3_000,
        fees: "0",
        grossPnl: "-12",
        pnl: "-12",
        pnlPct: -12.121212,
        outcome: "LOSS",
        entrySlippageBps: 100,
        exitSlippageBps: 90.9091,
      },
    ],
  ])("%s", (_name, side, fills, expected) => {
    const trade = tradeRecordOf(positionWith(side, fills), context);
    const shown = Object.fromEntries(
      Object.entries(trade)
        .filter(([key]) => key in expected)
        .map(([key, value]) => [key, typeof value === "object" && value !== null ? String(value) : value]),
    );
    expect(shown).toEqual(expected);
    expect(trade).toMatchObject({
      id: "trd-pos-1",
      positionId: "pos-1",
      symbol: "BTC/USDT",
      exitReason: "take_profit",
      strategy: "sma",
      signalId: "sig-1",
      venue: "kraken",
    });
    expect(trade.requestedPrice?.toString()).toBe("100");
  });

  it("takes the engine's time when the position carries no close time, and no slippage without requested prices", () => {
    const open = positionWith("LONG", [{ tradeId: "t1", side: "BUY", qty: "1", price: "100", fee: "0", ts: 1_000 }]);
    const trade = tradeRecordOf(open, { ...context, entryRequested: null, exitRequested: null });
    expect(trade.exitTime).toBe(99_999);
    expect([trade.entrySlippageBps, trade.exitSlippageBps, trade.requestedPrice]).toEqual([null, null, null]);
  });
});
