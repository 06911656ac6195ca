import { describe, it, expect } from "vitest";
import { book, candle, makeVenue, quote, run, trade, type Step } from "../../../test/sim/core-helpers";
import { type MatchingEngineConfig } from "./matching-engine";

type Case = [name: string, config: Partial<MatchingEngineConfig>, steps: Step[], expected: string[]];

function table(cases: Case[]): void {
  it.each(cases)("%s", (_name, config, steps, expected) => {
    expect(run(makeVenue(config), steps)).toEqual(expected);
  });
}

describe("market orders", () => {
  table([
    [
      "buy against a quote fills at the ask",
      {},
      [{ md: quote(29999.5, 30000.5) }, { submit: { clientOrderId: "a", side: "BUY", type: "MARKET" } }],
      ["a accept t0", "a fill 1@30000.5 fee 60.001 TAKER sim-1 t0"],
    ],
    [
      "sell against a quote fills at the bid",
      {},
      [{ md: quote(29999.5, 30000.5) }, { submit: { clientOrderId: "a", side: "SELL", type: "MARKET" } }],
      ["a accept t0", "a fill 1@29999.5 fee 59.999 TAKER sim-1 t0"],
    ],
    [
      "FIXED 10 bps: a buy pays 10 bps over the ask",
      { slippage: { model: "FIXED", bps: 10 } },
      [{ md: quote(29990, 30000) }, { submit: { clientOrderId: "a", side: "BUY", type: "MARKET" } }],
      ["a accept t0", "a fill 1@30030 fee 60.06 TAKER sim-1 t0"],
    ],
    [
      "FIXED 10 bps: a sell gets 10 bps under the bid",
      { slippage: { model: "FIXED", bps: 10 } },
      [{ md: quote(29990, 30000) }, { submit: { clientOrderId: "a", side: "SELL", type: "MARKET" } }],
      ["a accept t0", "a fill 1@29960.01 fee 59.92002 TAKER sim-1 t0"],
    ],
    [
      "VOLUME slippage uses the touch size: 1 of 4 at the ask = 25 bps",
      { slippage: { model: "VOLUME", baseBps: 0, k: 100 } },
      [{ md: quote(29990, 30000, { askSize: 4 }) }, { submit: { clientOrderId: "a", side: "BUY", type: "MARKET" } }],
      ["a accept t0", "a fill 1@30075 fee 60.15 TAKER sim-1 t0"],
    ],
    [
      "REALISTIC at the touch: no spread left to pay, impact 1 × 1% × √(1/100) = 10 bps",
      { slippage: { model: "REALISTIC", impactK: 1, defaultVolatility: 0.01 } },
      [{ md: quote(29990, 30000, { askSize: 100 }) }, { submit: { clientOrderId: "a", side: "BUY", type: "MARKET" } }],
      ["a accept t0", "a fill 1@30030 fee 60.06 TAKER sim-1 t0"],
    ],
    [
      "REALISTIC on a trade feed pays half the default spread: 4 bps / 2 = 2 bps under the trade",
      { slippage: { model: "REALISTIC", impactK: 1, defaultSpreadBps: 4 } },
      [{ submit: { clientOrderId: "a", side: "SELL", type: "MARKET" } }, { md: trade(30000, 10), t: 1 }],
      ["a accept t0", "a fill 1@29994 fee 59.988 TAKER sim-1 t1"],
    ],
    [
      "buy walks the book, one fill per level",
      {},
      [
        {
          md: book(
            [[29999, 1]],
            [
              [30000, 1],
              [30001, 2],
            ],
          ),
        },
        { submit: { clientOrderId: "a", side: "BUY", type: "MARKET", quantity: "1.5" } },
      ],
      ["a accept t0", "a fill 1@30000 fee 60 TAKER sim-1 t0", "a fill 0.5@30001 fee 30.001 TAKER sim-2 t0"],
    ],
    [
      "sell walks the bids",
      {},
      [
        {
          md: book(
            [
              [29999, 1],
              [29998, 2],
            ],
            [[30000, 1]],
          ),
        },
        { submit: { clientOrderId: "a", side: "SELL", type: "MARKET", quantity: "1.5" } },
      ],
      ["a accept t0", "a fill 1@29999 fee 59.998 TAKER sim-1 t0", "a fill 0.5@29998 fee 29.998 TAKER sim-2 t0"],
    ],
    [
      "GTC market larger than the book takes it all, the rest fills on the next snapshot",
      {},
      [
        {
          md: book(
            [[29999, 1]],
            [
              [30000, 1],
              [30001, 2],
            ],
          ),
        },
        { submit: { clientOrderId: "a", side: "BUY", type: "MARKET", quantity: "4" } },
        { md: book([[29999, 1]], [[30002, 5]]), t: 1 },
      ],
      ["a accept t0", "a fill 1@30000 fee 60 TAKER sim-1 t0", "a fill 2@30001 fee 120.004 TAKER sim-2 t0", "a fill 1@30002 fee 60.004 TAKER sim-3 t1"],
    ],
    [
      "IOC market larger than the book: fills the book, cancels the rest",
      {},
      [
        {
          md: book(
            [[29999, 1]],
            [
              [30000, 1],
              [30001, 2],
            ],
          ),
        },
        { submit: { clientOrderId: "a", side: "BUY", type: "MARKET", quantity: "4", timeInForce: "IOC" } },
      ],
      ["a accept t0", "a fill 1@30000 fee 60 TAKER sim-1 t0", "a fill 2@30001 fee 120.004 TAKER sim-2 t0", "a cancel t0"],
    ],
    [
      "FOK market larger than the visible book is canceled without a fill",
      {},
      [
        {
          md: book(
            [[29999, 1]],
            [
              [30000, 1],
              [30001, 2],
            ],
          ),
        },
        { submit: { clientOrderId: "a", side: "BUY", type: "MARKET", quantity: "4", timeInForce: "FOK" } },
      ],
      ["a accept t0", "a cancel t0"],
    ],
    [
      "FOK market the book can fill fills",
      {},
      [
        {
          md: book(
            [[29999, 1]],
            [
              [30000, 1],
              [30001, 2],
            ],
          ),
        },
        { submit: { clientOrderId: "a", side: "BUY", type: "MARKET", quantity: "3", timeInForce: "FOK" } },
      ],
      ["a accept t0", "a fill 1@30000 fee 60 TAKER sim-1 t0", "a fill 2@30001 fee 120.004 TAKER sim-2 t0"],
    ],
    [
      "liquidity taken from a snapshot is gone for the next order",
      {},
      [
        {
          md: book(
            [[29999, 1]],
            [
              [30000, 1],
              [30001, 5],
            ],
          ),
        },
        { submit: { clientOrderId: "a", side: "BUY", type: "MARKET" } },
        { submit: { clientOrderId: "b", side: "BUY", type: "MARKET" } },
      ],
      ["a accept t0", "a fill 1@30000 fee 60 TAKER sim-1 t0", "b accept t0", "b fill 1@30001 fee 60.002 TAKER sim-2 t0"],
    ],
    [
      "against candles: fills at the open of the next bar",
      {},
      [
        { md: candle(30000, 30100, 29900, 30050) },
        { submit: { clientOrderId: "a", side: "BUY", type: "MARKET" }, t: 1 },
        { md: candle(30060, 30200, 30000, 30150), t: 2 },
      ],
      ["a accept t1", "a fill 1@30060 fee 60.12 TAKER sim-1 t2"],
    ],
    [
      "against candles with candleFillPrice CLOSE: fills at that bar's close",
      { candleFillPrice: "CLOSE" },
      [
        { md: candle(30000, 30100, 29900, 30050) },
        { submit: { clientOrderId: "a", side: "BUY", type: "MARKET" }, t: 1 },
        { md: candle(30060, 30200, 30000, 30150), t: 2 },
      ],
      ["a accept t1", "a fill 1@30150 fee 60.3 TAKER sim-1 t2"],
    ],
    [
      "against trades: fills at the next trade price",
      {},
      [{ submit: { clientOrderId: "a", side: "SELL", type: "MARKET" } }, { md: trade(30000, 5), t: 1 }],
      ["a accept t0", "a fill 1@30000 fee 60 TAKER sim-1 t1"],
    ],
    [
      "against trades with a 10% participation cap: partial fills until done",
      { participationCap: 0.1 },
      [
        { submit: { clientOrderId: "a", side: "SELL", type: "MARKET" } },
        { md: trade(30000, 5), t: 1 },
        { md: trade(29990, 3), t: 2 },
        { md: trade(29980, 10), t: 3 },
        { md: trade(29970, 10), t: 4 },
      ],
      ["a accept t0", "a fill 0.5@30000 fee 30 TAKER sim-1 t1", "a fill 0.3@29990 fee 17.994 TAKER sim-2 t2", "a fill 0.2@29980 fee 11.992 TAKER sim-3 t3"],
    ],
    [
      "against a candle with a 10% participation cap",
      { participationCap: 0.1 },
      [{ submit: { clientOrderId: "a", side: "SELL", type: "MARKET" } }, { md: candle(30000, 30100, 29900, 30050, 4), t: 1 }],
      ["a accept t0", "a fill 0.4@30000 fee 24 TAKER sim-1 t1"],
    ],
    [
      "VOLUME slippage against a trade: 1 of 10 = 10 bps under the trade for a sell",
      { slippage: { model: "VOLUME", baseBps: 0, k: 100 } },
      [{ submit: { clientOrderId: "a", side: "SELL", type: "MARKET" } }, { md: trade(30000, 10), t: 1 }],
      ["a accept t0", "a fill 1@29970 fee 59.94 TAKER sim-1 t1"],
    ],
  ]);
});

describe("limit orders", () => {
  table([
    [
      "a resting buy fills as maker at its limit once a trade goes through it (not at it)",
      {},
      [
        { submit: { clientOrderId: "a", side: "BUY", type: "LIMIT", price: "29900" } },
        { md: trade(29950), t: 1 },
        { md: trade(29900), t: 2 },
        { md: trade(29899.99), t: 3 },
      ],
      ["a accept t0", "a fill 1@29900 fee 29.9 MAKER sim-1 t3"],
    ],
    [
      "fillOnTouch: a trade at the limit fills a bid when a seller was the aggressor",
      { fillOnTouch: true },
      [
        { submit: { clientOrderId: "a", side: "BUY", type: "LIMIT", price: "29900" } },
        { md: trade(29900, 10, "BUY"), t: 1 },
        { md: trade(29900, 10, "SELL"), t: 2 },
      ],
      ["a accept t0", "a fill 1@29900 fee 29.9 MAKER sim-1 t2"],
    ],
    [
      "a resting sell fills when a candle's high goes above it",
      {},
      [
        { submit: { clientOrderId: "a", side: "SELL", type: "LIMIT", price: "30100" } },
        { md: candle(30000, 30100, 29950, 30050), t: 1 },
        { md: candle(30050, 30100.01, 30000, 30090), t: 2 },
      ],
      ["a accept t0", "a fill 1@30100 fee 30.1 MAKER sim-1 t2"],
    ],
    [
      "a resting buy fills when a candle's low goes below it",
      {},
      [{ submit: { clientOrderId: "a", side: "BUY", type: "LIMIT", price: "29900" } }, { md: candle(30000, 30050, 29899, 30000), t: 1 }],
      ["a accept t0", "a fill 1@29900 fee 29.9 MAKER sim-1 t1"],
    ],
    [
      "a marketable limit fills at once as taker, at the better ask",
      {},
      [{ md: quote(29999.5, 30000.5) }, { submit: { clientOrderId: "a", side: "BUY", type: "LIMIT", price: "30010" } }],
      ["a accept t0", "a fill 1@30000.5 fee 60.001 TAKER sim-1 t0"],
    ],
    [
      "a marketable limit's slipped price never passes its limit",
      { slippage: { model: "FIXED", bps: 10 } },
      [{ md: quote(29999.5, 30000.5) }, { submit: { clientOrderId: "a", side: "BUY", type: "LIMIT", price: "30010" } }],
      ["a accept t0", "a fill 1@30010 fee 60.02 TAKER sim-1 t0"],
    ],
    [
      "a marketable sell walks the bids down to its limit, the rest rests and later fills as maker",
      {},
      [
        {
          md: book(
            [
              [29999, 1],
              [29998, 1],
              [29997, 5],
            ],
            [[30000, 1]],
          ),
        },
        { submit: { clientOrderId: "a", side: "SELL", type: "LIMIT", price: "29998", quantity: "3" } },
        { md: trade(29998.01), t: 1 },
      ],
      ["a accept t0", "a fill 1@29999 fee 59.998 TAKER sim-1 t0", "a fill 1@29998 fee 59.996 TAKER sim-2 t0", "a fill 1@29998 fee 29.998 MAKER sim-3 t1"],
    ],
    [
      "post-only that would take liquidity is rejected; one that would rest is accepted",
      {},
      [
        { md: quote(29999.5, 30000.5) },
        { submit: { clientOrderId: "a", side: "BUY", type: "LIMIT", price: "30000.5", postOnly: true } },
        { submit: { clientOrderId: "b", side: "BUY", type: "LIMIT", price: "30000", postOnly: true } },
      ],
      ["a reject POST_ONLY_WOULD_TAKE t0", "b accept t0"],
    ],
    [
      "participation cap: a resting buy fills 10% of each trade's volume until done",
      { participationCap: 0.1 },
      [
        { submit: { clientOrderId: "a", side: "BUY", type: "LIMIT", price: "30000" } },
        { md: trade(29999, 5), t: 1 },
        { md: trade(29999, 3), t: 2 },
        { md: trade(29999, 10), t: 3 },
      ],
      ["a accept t0", "a fill 0.5@30000 fee 15 MAKER sim-1 t1", "a fill 0.3@30000 fee 9 MAKER sim-2 t2", "a fill 0.2@30000 fee 6 MAKER sim-3 t3"],
    ],
    [
      "participation cap on a candle",
      { participationCap: 0.1 },
      [{ submit: { clientOrderId: "a", side: "BUY", type: "LIMIT", price: "30000" } }, { md: candle(30100, 30200, 29900, 30000, 4), t: 1 }],
      ["a accept t0", "a fill 0.4@30000 fee 12 MAKER sim-1 t1"],
    ],
    [
      "the cap is shared in price-time priority: the better bid fills first",
      { participationCap: 0.1 },
      [
        { submit: { clientOrderId: "a", side: "BUY", type: "LIMIT", price: "29900" } },
        { submit: { clientOrderId: "b", side: "BUY", type: "LIMIT", price: "29950" } },
        { md: trade(29800, 10), t: 1 },
        { md: trade(29800, 5), t: 2 },
      ],
      ["a accept t0", "b accept t0", "b fill 1@29950 fee 29.95 MAKER sim-1 t1", "a fill 0.5@29900 fee 14.95 MAKER sim-2 t2"],
    ],
    [
      "a quote whose ask drops below a resting bid fills it as maker",
      {},
      [{ md: quote(29950, 29951) }, { submit: { clientOrderId: "a", side: "BUY", type: "LIMIT", price: "29900" } }, { md: quote(29890, 29899), t: 1 }],
      ["a accept t0", "a fill 1@29900 fee 29.9 MAKER sim-1 t1"],
    ],
    [
      "a book crossing a resting bid fills it with the crossing depth",
      {},
      [
        { submit: { clientOrderId: "a", side: "BUY", type: "LIMIT", price: "29900", quantity: "2" } },
        {
          md: book(
            [[29890, 1]],
            [
              [29898, 0.5],
              [29899, 1],
              [29900, 5],
            ],
          ),
          t: 1,
        },
      ],
      ["a accept t0", "a fill 1.5@29900 fee 44.85 MAKER sim-1 t1"],
    ],
  ]);
});

describe("stop, take-profit and trailing orders", () => {
  table([
    [
      "stop-market sell triggers on a trade at or below and fills at that trade",
      {},
      [{ submit: { clientOrderId: "a", side: "SELL", type: "STOP_MARKET", triggerPrice: "29000" } }, { md: trade(29500), t: 1 }, { md: trade(28990), t: 2 }],
      ["a accept t0", "a fill 1@28990 fee 57.98 TAKER sim-1 t2"],
    ],
    [
      "stop-limit sell, marketable once triggered: trigger then taker fill",
      {},
      [{ submit: { clientOrderId: "a", side: "SELL", type: "STOP_LIMIT", triggerPrice: "29000", price: "28950" } }, { md: trade(28990), t: 1 }],
      ["a accept t0", "a trigger t1", "a fill 1@28990 fee 57.98 TAKER sim-1 t1"],
    ],
    [
      "stop-limit sell that is not marketable rests at its limit after the trigger",
      {},
      [
        { submit: { clientOrderId: "a", side: "SELL", type: "STOP_LIMIT", triggerPrice: "29000", price: "28995" } },
        { md: trade(28990), t: 1 },
        { md: trade(28996), t: 2 },
      ],
      ["a accept t0", "a trigger t1", "a fill 1@28995 fee 28.995 MAKER sim-1 t2"],
    ],
    [
      "stop-market buy watching BID_ASK triggers on the ask",
      {},
      [
        { submit: { clientOrderId: "a", side: "BUY", type: "STOP_MARKET", triggerPrice: "31000", triggerSource: "BID_ASK" } },
        { md: quote(30990, 30999), t: 1 },
        { md: quote(30995, 31000), t: 2 },
      ],
      ["a accept t0", "a fill 1@31000 fee 62 TAKER sim-1 t2"],
    ],
    [
      "stop-market buy watching LAST ignores quotes and triggers on the trade",
      {},
      [
        { submit: { clientOrderId: "a", side: "BUY", type: "STOP_MARKET", triggerPrice: "31000" } },
        { md: quote(30995, 31000), t: 1 },
        { md: trade(31000.5), t: 2 },
      ],
      ["a accept t0", "a fill 1@31000.5 fee 62.001 TAKER sim-1 t2"],
    ],
    [
      "venue default triggerSource BID_ASK applies to orders without one",
      { triggerSource: "BID_ASK" },
      [{ submit: { clientOrderId: "a", side: "BUY", type: "STOP_MARKET", triggerPrice: "31000" } }, { md: quote(30995, 31000), t: 1 }],
      ["a accept t0", "a fill 1@31000 fee 62 TAKER sim-1 t1"],
    ],
    [
      "take-profit-market buy triggers at or below",
      {},
      [
        { submit: { clientOrderId: "a", side: "BUY", type: "TAKE_PROFIT_MARKET", triggerPrice: "29000" } },
        { md: trade(29001), t: 1 },
        { md: trade(28999), t: 2 },
      ],
      ["a accept t0", "a fill 1@28999 fee 57.998 TAKER sim-1 t2"],
    ],
    [
      "take-profit-limit sell triggers at or above and rests at its limit",
      {},
      [
        { submit: { clientOrderId: "a", side: "SELL", type: "TAKE_PROFIT_LIMIT", triggerPrice: "31000", price: "31100" } },
        { md: trade(31000), t: 1 },
        { md: trade(31100.5), t: 2 },
      ],
      ["a accept t0", "a trigger t1", "a fill 1@31100 fee 31.1 MAKER sim-1 t2"],
    ],
    [
      "limit-if-touched sell on a candle: triggers at the high, fills as maker within the bar",
      {},
      [
        { submit: { clientOrderId: "a", side: "SELL", type: "LIMIT_IF_TOUCHED", triggerPrice: "31000", price: "31050" } },
        { md: candle(30900, 31100, 30800, 31000), t: 1 },
      ],
      ["a accept t0", "a trigger t1", "a fill 1@31050 fee 31.05 MAKER sim-1 t1"],
    ],
    [
      "stop-market sell on a candle that gaps through the trigger fills at the open",
      {},
      [{ submit: { clientOrderId: "a", side: "SELL", type: "STOP_MARKET", triggerPrice: "29000" } }, { md: candle(28800, 28900, 28500, 28600), t: 1 }],
      ["a accept t0", "a fill 1@28800 fee 57.6 TAKER sim-1 t1"],
    ],
    [
      "stop-market sell on a candle that crosses the trigger inside the bar fills at the trigger",
      {},
      [{ submit: { clientOrderId: "a", side: "SELL", type: "STOP_MARKET", triggerPrice: "29000" } }, { md: candle(29500, 29600, 28700, 28800), t: 1 }],
      ["a accept t0", "a fill 1@29000 fee 58 TAKER sim-1 t1"],
    ],
    [
      "trailing-stop-market sell follows the high and fires when the price falls back by the offset",
      {},
      [
        { submit: { clientOrderId: "a", side: "SELL", type: "TRAILING_STOP_MARKET", trailingOffset: "100" } },
        { md: trade(30000), t: 1 },
        { md: trade(30500), t: 2 },
        { md: trade(30450), t: 3 },
        { md: trade(30400), t: 4 },
      ],
      ["a accept t0", "a fill 1@30400 fee 60.8 TAKER sim-1 t4"],
    ],
    [
      "trailing-stop-limit buy follows the low; on trigger its limit is trigger + limit offset",
      {},
      [
        { md: trade(30000) },
        { submit: { clientOrderId: "a", side: "BUY", type: "TRAILING_STOP_LIMIT", trailingOffset: "100", limitOffset: "50" } },
        { md: trade(29800), t: 1 },
        { md: trade(29900), t: 2 },
      ],
      ["a accept t0", "a trigger t2", "a fill 1@29900 fee 59.8 TAKER sim-1 t2"],
    ],
    [
      "trailing stop with an activation price does nothing before activation",
      {},
      [
        { submit: { clientOrderId: "a", side: "SELL", type: "TRAILING_STOP_MARKET", trailingOffset: "100", activationPrice: "30500" } },
        { md: trade(30000), t: 1 },
        { md: trade(30400), t: 2 },
        { md: trade(30300), t: 3 },
        { md: trade(30600), t: 4 },
        { md: trade(30500), t: 5 },
      ],
      ["a accept t0", "a fill 1@30500 fee 61 TAKER sim-1 t5"],
    ],
    [
      "trailing stop in basis points",
      {},
      [
        { submit: { clientOrderId: "a", side: "SELL", type: "TRAILING_STOP_MARKET", trailingOffset: "50", trailingOffsetType: "BASIS_POINTS" } },
        { md: trade(30000), t: 1 },
        { md: trade(29851), t: 2 },
        { md: trade(29850), t: 3 },
      ],
      ["a accept t0", "a fill 1@29850 fee 59.7 TAKER sim-1 t3"],
    ],
    [
      "MARK trigger fires on a mark price and executes against the quote",
      {},
      [
        { md: quote(29100, 29101) },
        { submit: { clientOrderId: "a", side: "SELL", type: "STOP_MARKET", triggerPrice: "29000", triggerSource: "MARK" } },
        { md: trade(28000), t: 1 },
        { md: { kind: "mark", symbol: "BTC/USDT", price: 28990 }, t: 2 },
      ],
      ["a accept t0", "a fill 1@29100 fee 58.2 TAKER sim-1 t2"],
    ],
    [
      "a stop already through the market on arrival triggers at once",
      {},
      [{ md: quote(28900, 28901) }, { submit: { clientOrderId: "a", side: "SELL", type: "STOP_MARKET", triggerPrice: "29000", triggerSource: "BID_ASK" } }],
      ["a accept t0", "a fill 1@28900 fee 57.8 TAKER sim-1 t0"],
    ],
  ]);
});

describe("time in force", () => {
  const depth = book(
    [[29999, 1]],
    [
      [30000, 1],
      [30001, 0.25],
      [30002, 5],
    ],
  );
  table([
    [
      "IOC limit that cannot fill now is canceled",
      {},
      [{ md: quote(29999, 30000) }, { submit: { clientOrderId: "a", side: "BUY", type: "LIMIT", price: "29000", timeInForce: "IOC" } }],
      ["a accept t0", "a cancel t0"],
    ],
    [
      "IOC limit fills the depth within its limit and cancels the rest",
      {},
      [{ md: depth }, { submit: { clientOrderId: "a", side: "BUY", type: "LIMIT", price: "30001", quantity: "1.5", timeInForce: "IOC" } }],
      ["a accept t0", "a fill 1@30000 fee 60 TAKER sim-1 t0", "a fill 0.25@30001 fee 15.0005 TAKER sim-2 t0", "a cancel t0"],
    ],
    [
      "FOK limit without enough depth within its limit is canceled whole",
      {},
      [{ md: depth }, { submit: { clientOrderId: "a", side: "BUY", type: "LIMIT", price: "30001", quantity: "2", timeInForce: "FOK" } }],
      ["a accept t0", "a cancel t0"],
    ],
    [
      "FOK limit with enough depth fills",
      {},
      [{ md: depth }, { submit: { clientOrderId: "a", side: "BUY", type: "LIMIT", price: "30001", quantity: "1.25", timeInForce: "FOK" } }],
      ["a accept t0", "a fill 1@30000 fee 60 TAKER sim-1 t0", "a fill 0.25@30001 fee 15.0005 TAKER sim-2 t0"],
    ],
    [
      "IOC market on a trade feed: the next trade is 'now', capped by participation",
      { participationCap: 0.1 },
      [{ submit: { clientOrderId: "a", side: "SELL", type: "MARKET", timeInForce: "IOC" } }, { md: trade(30000, 5), t: 1 }],
      ["a accept t0", "a fill 0.5@30000 fee 30 TAKER sim-1 t1", "a cancel t1"],
    ],
    [
      "FOK market on a trade feed that the capped volume cannot fill is canceled",
      { participationCap: 0.1 },
      [{ submit: { clientOrderId: "a", side: "SELL", type: "MARKET", timeInForce: "FOK" } }, { md: trade(30000, 5), t: 1 }],
      ["a accept t0", "a cancel t1"],
    ],
    [
      "GTD expires on the first update at its expiry, before that update can fill it",
      {},
      [
        { submit: { clientOrderId: "a", side: "BUY", type: "LIMIT", price: "29900", timeInForce: "GTD", expireAt: 1000 } },
        { md: trade(29950), t: 999 },
        { md: trade(29000), t: 1000 },
      ],
      ["a accept t0", "a expire t1000"],
    ],
    [
      "GTD expires on advanceTo too",
      {},
      [{ submit: { clientOrderId: "a", side: "BUY", type: "LIMIT", price: "29900", timeInForce: "GTD", expireAt: 1000 } }, { advance: 1500 }],
      ["a accept t0", "a expire t1500"],
    ],
    [
      "GTD whose expiry is not after its arrival is rejected",
      {},
      [{ submit: { clientOrderId: "a", side: "BUY", type: "LIMIT", price: "29900", timeInForce: "GTD", expireAt: 5 }, t: 5 }],
      ["a reject INVALID_EXPIRY t5"],
    ],
    [
      "GTD without an expiry is rejected",
      {},
      [{ submit: { clientOrderId: "a", side: "BUY", type: "LIMIT", price: "29900", timeInForce: "GTD" } }],
      ["a reject INVALID_EXPIRY t0"],
    ],
  ]);
});

describe("order validation at the venue", () => {
  table([
    ["unknown symbol", {}, [{ submit: { clientOrderId: "a", side: "BUY", type: "LIMIT", price: "1", symbol: "DOGE/USDT" } }], ["a reject UNKNOWN_SYMBOL t0"]],
    ["zero quantity", {}, [{ submit: { clientOrderId: "a", side: "BUY", type: "LIMIT", price: "1", quantity: "0" } }], ["a reject INVALID_QUANTITY t0"]],
    ["limit without a price", {}, [{ submit: { clientOrderId: "a", side: "BUY", type: "LIMIT" } }], ["a reject INVALID_PRICE t0"]],
    ["stop without a trigger", {}, [{ submit: { clientOrderId: "a", side: "SELL", type: "STOP_MARKET" } }], ["a reject INVALID_TRIGGER_PRICE t0"]],
    [
      "trailing without an offset",
      {},
      [{ submit: { clientOrderId: "a", side: "SELL", type: "TRAILING_STOP_MARKET" } }],
      ["a reject INVALID_TRAILING_OFFSET t0"],
    ],
    ["price off the tick", {}, [{ submit: { clientOrderId: "a", side: "BUY", type: "LIMIT", price: "100.001" } }], ["a reject PRICE_PRECISION t0"]],
    [
      "quantity off the step",
      {},
      [{ submit: { clientOrderId: "a", side: "BUY", type: "LIMIT", price: "100", quantity: "0.0001" } }],
      ["a reject QTY_PRECISION t0"],
    ],
    ["post-only market", {}, [{ submit: { clientOrderId: "a", side: "SELL", type: "MARKET", postOnly: true } }], ["a reject INVALID_POST_ONLY t0"]],
    [
      "duplicate clientOrderId",
      {},
      [
        { submit: { clientOrderId: "a", side: "BUY", type: "LIMIT", price: "100" } },
        { submit: { clientOrderId: "a", side: "BUY", type: "LIMIT", price: "100" } },
      ],
      ["a accept t0", "a reject DUPLICATE_CLIENT_ORDER_ID t0"],
    ],
    ["a market buy with no price to reserve against", {}, [{ submit: { clientOrderId: "a", side: "BUY", type: "MARKET" } }], ["a reject NO_MARKET_PRICE t0"]],
  ]);
});
