import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { D, Decimal } from "../money";
import { validateRiskLimits } from "./limit-validation";
import { checkPreTrade, type PreTradeInput, type PreTradeOrder, type RiskDenialCode, type RiskLimits } from "./limits";

const NOW = 1_700_000_000_000;

/**
 * The book every case starts from (hand-computed):
 *   equity 10000, available quote 5000
 *   BTC/USDT long 0.1 @ mark 50000 → 5000;  ETH/USDT short 1 @ 2000 → 2000;  SOL/USDT open orders reserve 500
 *   gross exposure 7500, open or being opened: 3 symbols
 * The base order: BUY 0.01 BTC/USDT @ 50000 → notional 500, net 0.1 → 0.11, symbol exposure 5500, portfolio 8000.
 */
function input(overrides: { order?: Partial<PreTradeOrder>; limits?: RiskLimits } & Partial<Omit<PreTradeInput, "order" | "limits">> = {}): PreTradeInput {
  const { order, limits, ...rest } = overrides;
  return {
    order: { symbol: "BTC/USDT", side: "BUY", quantity: D("0.01"), price: D(50000), reduceOnly: false, ...order },
    tradingState: "ACTIVE",
    portfolio: {
      equity: D(10000),
      availableQuote: D(5000),
      positions: [
        { symbol: "BTC/USDT", side: "LONG", qty: D("0.1"), markPrice: D(50000) },
        { symbol: "ETH/USDT", side: "SHORT", qty: D(1), markPrice: D(2000) },
      ],
      reservedNotionalBySymbol: new Map([["SOL/USDT", D(500)]]),
    },
    recentOrderTimestamps: [],
    now: NOW,
    limits: limits ?? {},
    ...rest,
  };
}

function codes(i: PreTradeInput): RiskDenialCode[] {
  const r = checkPreTrade(i);
  return r.ok ? [] : r.denials.map((d) => d.code);
}

function firstMessage(i: PreTradeInput): string {
  const r = checkPreTrade(i);
  return r.ok ? "(approved)" : r.error.message;
}

describe("checkPreTrade: a passing order", () => {
  it("approves with the projected exposure", () => {
    const r = checkPreTrade(input());
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.notional.toString()).toBe("500");
    expect(r.value.netQtyAfter.toString()).toBe("0.11");
    expect(r.value.exposureIncrease.toString()).toBe("500");
    expect(r.value.symbolExposureAfter.toString()).toBe("5500");
    expect(r.value.portfolioExposureAfter.toString()).toBe("8000");
    expect(r.value.requiredQuote.toString()).toBe("500");
    expect(r.value.shrinksExposure).toBe(false);
  });

  it("approves when every limit is exactly met", () => {
    const limits: RiskLimits = {
      maxOpenPositions: 3,
      maxPortfolioExposure: D(8000),
      maxPortfolioExposurePct: 80,
      maxNotionalPerOrder: D(500),
      minNotional: D(500),
      maxSlippageBps: 25,
      minConfidence: 0.5,
      maxOrdersPerMinute: 3,
      maxPositionQty: D("0.11"),
      maxPositionNotional: D(5500),
      maxSymbolExposure: D(5500),
      maxSymbolExposurePct: 55,
    };
    const i = input({ limits, order: { confidence: 0.5, expectedSlippageBps: 25 }, recentOrderTimestamps: [NOW - 60_000, NOW - 50_000, NOW - 1] });
    i.portfolio = { ...i.portfolio, availableQuote: D(500) };
    expect(codes(i)).toEqual([]);
  });
});

type DenialCase = [label: string, build: () => PreTradeInput, code: RiskDenialCode, message: string];

const denialCases: DenialCase[] = [
  ["zero quantity", () => input({ order: { quantity: D(0) } }), "INVALID_ORDER", "Order quantity must be a positive number, not 0."],
  ["negative quantity", () => input({ order: { quantity: D(-1) } }), "INVALID_ORDER", "Order quantity must be a positive number, not -1."],
  ["NaN quantity", () => input({ order: { quantity: new Decimal(NaN) } }), "INVALID_ORDER", "Order quantity must be a positive number, not NaN."],
  ["infinite price", () => input({ order: { price: new Decimal(Infinity) } }), "INVALID_ORDER", "Order price must be a positive number, not Infinity."],
  ["zero price", () => input({ order: { price: D(0) } }), "INVALID_ORDER", "Order price must be a positive number, not 0."],
  ["confidence above 1", () => input({ order: { confidence: 1.5 } }), "INVALID_ORDER", "Signal confidence must be between 0 and 1, not 1.5."],
  [
    "halted",
    () => input({ tradingState: "HALTED" }),
    "TRADING_HALTED",
    "Trading is halted: only cancels and reduce-only closes are allowed, and BUY 0.01 BTC/USDT is not reduce-only.",
  ],
  [
    "reducing",
    () => input({ tradingState: "REDUCING" }),
    "REDUCING_ONLY",
    "Trading is in REDUCING mode: only orders that shrink exposure are allowed, and BUY 0.01 BTC/USDT does not (BUY would add to the long 0.1 position).",
  ],
  [
    "reduce-only on the same side as the position",
    () => input({ order: { reduceOnly: true } }),
    "INVALID_REDUCE_ONLY",
    "Reduce-only BUY 0.01 BTC/USDT cannot be placed: BUY would add to the long 0.1 position.",
  ],
  [
    "reduce-only larger than the position",
    () => input({ order: { side: "SELL", quantity: D("0.2"), reduceOnly: true } }),
    "INVALID_REDUCE_ONLY",
    "Reduce-only SELL 0.2 BTC/USDT cannot be placed: 0.2 is larger than the long 0.1 position it would reduce.",
  ],
  [
    "reduce-only beyond what working exits leave of the position",
    () =>
      input({
        order: { side: "SELL", quantity: D("0.1"), reduceOnly: true },
        portfolio: { ...input().portfolio, workingReduceOnlyBySymbol: new Map([["BTC/USDT", { SELL: D("0.04") }]]) },
      }),
    "REDUCE_ONLY_OVERCOMMITTED",
    "Reduce-only SELL 0.1 BTC/USDT cannot be placed: the long 0.1 position already has working exit orders that sell 0.04 of it, so at most 0.06 more can be; wait for them to end or cancel them first.",
  ],
  [
    "a second full-size exit while the first works (short: buy back)",
    () =>
      input({
        order: { symbol: "ETH/USDT", side: "BUY", quantity: D(1), price: D(2000), reduceOnly: true },
        portfolio: { ...input().portfolio, workingReduceOnlyBySymbol: new Map([["ETH/USDT", { BUY: D(1) }]]) },
      }),
    "REDUCE_ONLY_OVERCOMMITTED",
    "Reduce-only BUY 1 ETH/USDT cannot be placed: the short 1 position already has working exit orders that buy back 1 of it, so at most 0 more can be; wait for them to end or cancel them first.",
  ],
  [
    "reduce-only with no position",
    () => input({ order: { symbol: "XRP/USDT", side: "SELL", quantity: D(10), price: D(1), reduceOnly: true } }),
    "INVALID_REDUCE_ONLY",
    "Reduce-only SELL 10 XRP/USDT cannot be placed: there is no position to reduce (flat).",
  ],
  [
    "rate limit: 3 orders inside the minute (one exactly a minute old does not count)",
    () => input({ limits: { maxOrdersPerMinute: 3 }, recentOrderTimestamps: [NOW - 70_000, NOW - 60_000, NOW - 59_999, NOW - 30_000, NOW - 1] }),
    "RATE_LIMIT",
    "Rate limit reached: 3 orders in the last minute, and the limit is 3 per minute.",
  ],
  [
    "confidence below the portfolio minimum",
    () => input({ limits: { minConfidence: 0.6 }, order: { confidence: 0.5 } }),
    "MIN_CONFIDENCE",
    "Signal confidence 0.5 is below the minimum of 0.6 for BTC/USDT.",
  ],
  [
    "slippage above the maximum",
    () => input({ limits: { maxSlippageBps: 25 }, order: { expectedSlippageBps: 30 } }),
    "MAX_SLIPPAGE",
    "Expected slippage of 30 bps is above the maximum of 25 bps.",
  ],
  ["notional below the minimum", () => input({ limits: { minNotional: D(501) } }), "MIN_NOTIONAL", "Order notional 500 is below the minimum of 501."],
  [
    "notional above the per-order maximum",
    () => input({ limits: { maxNotionalPerOrder: D(499) } }),
    "MAX_NOTIONAL_PER_ORDER",
    "Order notional 500 is above the per-order maximum of 499 for BTC/USDT.",
  ],
  [
    "a fourth symbol when 3 are open or being opened",
    () => input({ limits: { maxOpenPositions: 3 }, order: { symbol: "XRP/USDT", quantity: D(100), price: D(1) } }),
    "MAX_OPEN_POSITIONS",
    "Opening a position in XRP/USDT would exceed the maximum of 3 open positions (3 already open or being opened).",
  ],
  [
    "position quantity above the maximum",
    () => input({ limits: { maxPositionQty: D("0.1") } }),
    "MAX_POSITION_SIZE",
    "The BTC/USDT position would be long 0.11 (now long 0.1), above the maximum size of 0.1.",
  ],
  [
    "position notional above the maximum",
    () => input({ limits: { maxPositionNotional: D(5000) } }),
    "MAX_POSITION_SIZE",
    "The BTC/USDT position would be worth 5500 (long 0.11 at 50000), above the maximum of 5000.",
  ],
  [
    "symbol exposure above the absolute maximum",
    () => input({ limits: { maxSymbolExposure: D(5499) } }),
    "MAX_SYMBOL_EXPOSURE",
    "Exposure in BTC/USDT would be 5500, above the maximum of 5499.",
  ],
  [
    "symbol exposure above 50% of equity",
    () => input({ limits: { maxSymbolExposurePct: 50 } }),
    "MAX_SYMBOL_EXPOSURE",
    "Exposure in BTC/USDT would be 5500, above the maximum of 50% of equity 10000 (5000).",
  ],
  [
    "symbol exposure counts reserved order notional: 500 reserved + 500 new SOL",
    () => input({ limits: { maxSymbolExposure: D(999) }, order: { symbol: "SOL/USDT", quantity: D(5), price: D(100) } }),
    "MAX_SYMBOL_EXPOSURE",
    "Exposure in SOL/USDT would be 1000, above the maximum of 999.",
  ],
  [
    "portfolio exposure above the absolute maximum",
    () => input({ limits: { maxPortfolioExposure: D(7999) } }),
    "MAX_PORTFOLIO_EXPOSURE",
    "Portfolio exposure would be 8000, above the maximum of 7999.",
  ],
  [
    "portfolio exposure above 79.99% of equity",
    () => input({ limits: { maxPortfolioExposurePct: 79.99 } }),
    "MAX_PORTFOLIO_EXPOSURE",
    "Portfolio exposure would be 8000, above the maximum of 79.99% of equity 10000 (7999).",
  ],
  [
    "insufficient quote balance",
    () => {
      const i = input();
      i.portfolio = { ...i.portfolio, availableQuote: D(499) };
      return i;
    },
    "INSUFFICIENT_BALANCE",
    "The order needs 500 of quote balance but only 499 is available.",
  ],
  [
    "insufficient once fees are added",
    () => {
      const i = input({ feeRate: D("0.001") });
      i.portfolio = { ...i.portfolio, availableQuote: D(500) };
      return i;
    },
    "INSUFFICIENT_BALANCE",
    "The order needs 500.5 of quote balance but only 500 is available.",
  ],
  [
    "a flip pays for the part that opens: sell 0.3 against long 0.1 opens short 0.2 = 10000",
    () => input({ order: { side: "SELL", quantity: D("0.3") } }),
    "INSUFFICIENT_BALANCE",
    "The order needs 10000 of quote balance but only 5000 is available.",
  ],
];

describe("checkPreTrade: every denial code", () => {
  it.each(denialCases)("%s → %s", (_label, build, code, message) => {
    const r = checkPreTrade(build());
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe(code);
    expect(r.error.message).toBe(message);
    expect(r.denials[0]).toBe(r.error);
  });

  it("covers every code", () => {
    const all: RiskDenialCode[] = [
      "TRADING_HALTED",
      "REDUCING_ONLY",
      "INVALID_REDUCE_ONLY",
      "REDUCE_ONLY_OVERCOMMITTED",
      "MAX_OPEN_POSITIONS",
      "MAX_POSITION_SIZE",
      "MAX_SYMBOL_EXPOSURE",
      "MAX_PORTFOLIO_EXPOSURE",
      "MIN_CONFIDENCE",
      "MIN_NOTIONAL",
      "MAX_NOTIONAL_PER_ORDER",
      "MAX_SLIPPAGE",
      "INSUFFICIENT_BALANCE",
      "RATE_LIMIT",
      "INVALID_ORDER",
    ];
    expect(new Set(denialCases.map((c) => c[2]))).toEqual(new Set(all));
  });
});

describe("checkPreTrade: boundaries that pass", () => {
  it.each<[string, () => PreTradeInput]>([
    ["symbol exposure exactly 55% of equity", () => input({ limits: { maxSymbolExposurePct: 55 } })],
    ["portfolio exposure exactly 80% of equity", () => input({ limits: { maxPortfolioExposurePct: 80 } })],
    ["a fourth symbol when 4 are allowed", () => input({ limits: { maxOpenPositions: 4 }, order: { symbol: "XRP/USDT", quantity: D(100), price: D(1) } })],
    ["adding to an existing symbol at the open-position maximum", () => input({ limits: { maxOpenPositions: 1 } })],
    ["no confidence on a manual order", () => input({ limits: { minConfidence: 0.9 } })],
    [
      "leverage 2 halves the balance needed",
      () => {
        const i = input({ leverage: 2 });
        i.portfolio = { ...i.portfolio, availableQuote: D(250) };
        return i;
      },
    ],
    [
      "a plain sell that shrinks a position above a lowered limit",
      () => input({ limits: { maxPositionQty: D("0.05"), maxSymbolExposure: D(1), maxPortfolioExposure: D(1) }, order: { side: "SELL", quantity: D("0.02") } }),
    ],
  ])("%s", (_label, build) => {
    expect(codes(build())).toEqual([]);
  });
});

describe("checkPreTrade: per-symbol overrides", () => {
  const limits: RiskLimits = {
    minConfidence: 0.6,
    maxNotionalPerOrder: D(100),
    maxPositionQty: D(1000),
    perSymbol: {
      "BTC/USDT": { minConfidence: 0.4, maxNotionalPerOrder: D(1000), maxPositionQty: D("0.105") },
    },
  };

  it("a looser symbol confidence and notional replace the portfolio's", () => {
    const r = checkPreTrade(
      input({
        limits: { ...limits, maxPositionQty: undefined, perSymbol: { "BTC/USDT": { minConfidence: 0.4, maxNotionalPerOrder: D(1000) } } },
        order: { confidence: 0.5 },
      }),
    );
    expect(r.ok).toBe(true);
  });

  it("a tighter symbol position size replaces the portfolio's", () => {
    expect(firstMessage(input({ limits, order: { confidence: 0.5 } }))).toBe(
      "The BTC/USDT position would be long 0.11 (now long 0.1), above the maximum size of 0.105.",
    );
  });

  it("other symbols keep the portfolio limits", () => {
    expect(codes(input({ limits, order: { symbol: "ETH/USDT", side: "SELL", quantity: D("0.1"), price: D(2000), confidence: 0.5 } }))).toEqual([
      "MIN_CONFIDENCE",
      "MAX_NOTIONAL_PER_ORDER",
    ]);
  });

  it("per-symbol exposure percent overrides the portfolio default", () => {
    expect(codes(input({ limits: { maxSymbolExposurePct: 10, perSymbol: { "BTC/USDT": { maxSymbolExposurePct: 60 } } } }))).toEqual([]);
    expect(codes(input({ limits: { maxSymbolExposurePct: 60, perSymbol: { "BTC/USDT": { maxSymbolExposurePct: 10 } } } }))).toEqual(["MAX_SYMBOL_EXPOSURE"]);
  });
});

describe("checkPreTrade: reduce-only closes beat limits", () => {
  const strangling: RiskLimits = {
    maxOrdersPerMinute: 0,
    minNotional: D(1_000_000),
    maxNotionalPerOrder: D(1),
    maxPortfolioExposure: D(0),
    maxSymbolExposure: D(0),
    maxPositionQty: D(0),
    maxOpenPositions: 0,
    minConfidence: 1,
    maxSlippageBps: 0,
  };

  it.each(["ACTIVE", "REDUCING", "HALTED"] as const)("a reduce-only partial close passes every limit in %s", (state) => {
    const i = input({
      tradingState: state,
      limits: strangling,
      order: { side: "SELL", quantity: D("0.05"), reduceOnly: true, confidence: 0, expectedSlippageBps: 500 },
    });
    i.portfolio = { ...i.portfolio, availableQuote: D(0) };
    const r = checkPreTrade(i);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.shrinksExposure).toBe(true);
    expect(r.value.notional.toString()).toBe("2500");
    expect(r.value.netQtyAfter.toString()).toBe("0.05");
    expect(r.value.exposureIncrease.toString()).toBe("0");
    expect(r.value.symbolExposureAfter.toString()).toBe("2500");
    expect(r.value.portfolioExposureAfter.toString()).toBe("5000");
    expect(r.value.requiredQuote.toString()).toBe("0");
  });

  it("a reduce-only buy closing the whole short passes in HALTED", () => {
    expect(
      codes(
        input({ tradingState: "HALTED", limits: strangling, order: { symbol: "ETH/USDT", side: "BUY", quantity: D(1), price: D(2000), reduceOnly: true } }),
      ),
    ).toEqual([]);
  });

  it("working exits leave room: exactly what is left passes (in HALTED too); other sides and symbols are not counted", () => {
    const working = new Map([
      ["BTC/USDT", { SELL: D("0.07"), BUY: D(5) }],
      ["ETH/USDT", { SELL: D(9) }],
    ]);
    const withWorking = (order: Partial<PreTradeOrder>, state: PreTradeInput["tradingState"] = "ACTIVE") =>
      codes(input({ tradingState: state, order: { ...order, reduceOnly: true }, portfolio: { ...input().portfolio, workingReduceOnlyBySymbol: working } }));
    expect(withWorking({ side: "SELL", quantity: D("0.03") })).toEqual([]);
    expect(withWorking({ side: "SELL", quantity: D("0.03") }, "HALTED")).toEqual([]);
    expect(withWorking({ side: "SELL", quantity: D("0.03001") })).toEqual(["REDUCE_ONLY_OVERCOMMITTED"]);
    expect(withWorking({ symbol: "ETH/USDT", side: "BUY", quantity: D(1), price: D(2000) })).toEqual([]);
  });

  it("a plain (not reduce-only) shrinking order still meets the non-exposure limits", () => {
    expect(codes(input({ limits: strangling, order: { side: "SELL", quantity: D("0.05") } }))).toEqual([
      "RATE_LIMIT",
      "MIN_NOTIONAL",
      "MAX_NOTIONAL_PER_ORDER",
    ]);
  });
});

describe("checkPreTrade: listing denials", () => {
  it("lists every denial in order of importance, the first as error", () => {
    const r = checkPreTrade(input({ tradingState: "HALTED", limits: { minNotional: D(1000), maxPortfolioExposure: D(100) } }));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.denials.map((d) => d.code)).toEqual(["TRADING_HALTED", "MIN_NOTIONAL", "MAX_PORTFOLIO_EXPOSURE"]);
    expect(r.error.code).toBe("TRADING_HALTED");
  });

  it("stops at the first with collectAll: false", () => {
    expect(codes(input({ collectAll: false, tradingState: "HALTED", limits: { minNotional: D(1000) } }))).toEqual(["TRADING_HALTED"]);
    expect(codes(input({ collectAll: false, limits: { minNotional: D(1000), maxPortfolioExposure: D(100) } }))).toEqual(["MIN_NOTIONAL"]);
  });

  it("stops at INVALID_ORDER: no other check makes sense", () => {
    expect(codes(input({ tradingState: "HALTED", order: { quantity: D(-1) }, limits: { minNotional: D(1000) } }))).toEqual(["INVALID_ORDER"]);
  });

  it("property: the first denial is the same with and without collectAll", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("ACTIVE", "REDUCING", "HALTED" as const),
        fc.integer({ min: 1, max: 500 }),
        fc.boolean(),
        fc.boolean(),
        fc.integer({ min: 0, max: 20_000 }),
        fc.integer({ min: 0, max: 5 }),
        (state, hundredths, buy, reduceOnly, maxExposure, maxPerMinute) => {
          const base = input({
            tradingState: state,
            order: { side: buy ? "BUY" : "SELL", quantity: D(hundredths).dividedBy(100), reduceOnly },
            limits: { maxPortfolioExposure: D(maxExposure), maxOrdersPerMinute: maxPerMinute, minNotional: D(100) },
            recentOrderTimestamps: [NOW - 10, NOW - 20],
          });
          const all = checkPreTrade(base);
          const first = checkPreTrade({ ...base, collectAll: false });
          expect(first.ok).toBe(all.ok);
          if (!all.ok && !first.ok) {
            expect(first.error).toEqual(all.error);
            expect(first.denials).toHaveLength(1);
          }
        },
      ),
    );
  });

  it("property: MAX_PORTFOLIO_EXPOSURE denies exactly when exposure would end above the cap", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 0, max: 20_000 }), (thousandths, cap) => {
        const qty = D(thousandths).dividedBy(1000);
        const r = checkPreTrade(input({ order: { quantity: qty }, limits: { maxPortfolioExposure: D(cap) } }));
        const exposureAfter = D(7500).plus(qty.times(50000));
        const denied = !r.ok && r.denials.some((d) => d.code === "MAX_PORTFOLIO_EXPOSURE");
        expect(denied).toBe(exposureAfter.greaterThan(cap));
        if (r.ok) expect(r.value.portfolioExposureAfter.toString()).toBe(exposureAfter.toString());
      }),
    );
  });
});

describe("validateRiskLimits", () => {
  it("accepts sensible limits", () => {
    expect(
      validateRiskLimits({
        maxOpenPositions: 10,
        maxPortfolioExposure: D(100000),
        maxPortfolioExposurePct: 300,
        maxNotionalPerOrder: D(5000),
        minNotional: D(10),
        maxSlippageBps: 50,
        minConfidence: 0.55,
        maxOrdersPerMinute: 30,
        perSymbol: { "BTC/USDT": { maxPositionQty: D(2), maxSymbolExposurePct: 100 } },
      }),
    ).toEqual([]);
  });

  it.each<[string, RiskLimits, string, string]>([
    ["negative decimal", { maxNotionalPerOrder: D(-1) }, "NEGATIVE_LIMIT", "maxNotionalPerOrder cannot be negative (-1)."],
    ["NaN decimal", { maxPortfolioExposure: new Decimal(NaN) }, "INVALID_LIMIT", "maxPortfolioExposure must be a finite decimal number, not NaN."],
    ["infinite decimal", { minNotional: new Decimal(Infinity) }, "INVALID_LIMIT", "minNotional must be a finite decimal number, not Infinity."],
    ["NaN number", { maxSlippageBps: NaN }, "INVALID_LIMIT", "maxSlippageBps must be a finite number, not NaN."],
    ["negative count", { maxOpenPositions: -1 }, "NEGATIVE_LIMIT", "maxOpenPositions cannot be negative (-1)."],
    ["fractional count", { maxOrdersPerMinute: 2.5 }, "LIMIT_OUT_OF_RANGE", "maxOrdersPerMinute must be a whole number from 0 to 1000000, not 2.5."],
    ["confidence above 1", { minConfidence: 55 }, "LIMIT_OUT_OF_RANGE", "minConfidence must be between 0 and 1, not 55."],
    ["absurd percent", { maxPortfolioExposurePct: 20_000 }, "LIMIT_OUT_OF_RANGE", "maxPortfolioExposurePct must be between 0 and 10000% of equity, not 20000."],
    ["absurd slippage", { maxSlippageBps: 10_001 }, "LIMIT_OUT_OF_RANGE", "maxSlippageBps must be between 0 and 10000 bps, not 10001."],
    [
      "min notional above max",
      { minNotional: D(100), maxNotionalPerOrder: D(50) },
      "CONFLICTING_LIMITS",
      "minNotional 100 is above maxNotionalPerOrder 50: no order could pass both.",
    ],
    [
      "per-symbol field",
      { perSymbol: { "ETH/USDT": { maxPositionQty: D(-2) } } },
      "NEGATIVE_LIMIT",
      "perSymbol.ETH/USDT.maxPositionQty cannot be negative (-2).",
    ],
  ])("%s", (_label, limits, code, message) => {
    const errors = validateRiskLimits(limits);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.code).toBe(code);
    expect(errors[0]!.message).toBe(message);
  });

  it("reports every problem at once", () => {
    expect(validateRiskLimits({ maxOpenPositions: -1, minConfidence: 2, perSymbol: { X: { minConfidence: -0.1 } } }).map((e) => e.code)).toEqual([
      "LIMIT_OUT_OF_RANGE",
      "NEGATIVE_LIMIT",
      "NEGATIVE_LIMIT",
    ]);
  });
});

describe("checkPreTrade: the balance check is exact to the last digit", () => {
  // The gate settles clear cases on a float estimate; a required quote within a hair of the balance is judged exactly.
  function balanceCase(quantity: string, price: string, feeRate: string, available: Decimal, leverage?: number): PreTradeInput {
    const i = input({
      order: { symbol: "XRP/USDT", quantity: D(quantity), price: D(price) },
      feeRate: D(feeRate),
      ...(leverage !== undefined && { leverage }),
    });
    i.portfolio = { ...i.portfolio, availableQuote: available };
    return i;
  }
  const exactly = (q: string, p: string, fee: string, leverage = 1) => D(q).times(p).times(D(fee).plus(1)).dividedBy(leverage);

  it("passes at exactly the balance and refuses a 1e-30 above it", () => {
    const required = exactly("0.123456789", "27123.45", "0.00075");
    expect(codes(balanceCase("0.123456789", "27123.45", "0.00075", required))).toEqual([]);
    expect(codes(balanceCase("0.123456789", "27123.45", "0.00075", required.minus("1e-30")))).toEqual(["INSUFFICIENT_BALANCE"]);
    const approved = checkPreTrade(balanceCase("0.123456789", "27123.45", "0.00075", required.plus(1000)));
    expect(approved.ok && approved.value.requiredQuote.toString()).toBe(required.toString());
  });

  it("with leverage, the required quote is divided by it", () => {
    const required = exactly("3", "7", "0.001", 3);
    const approved = checkPreTrade(balanceCase("3", "7", "0.001", required, 3));
    expect(approved.ok && approved.value.requiredQuote.toString()).toBe("7.007");
    expect(codes(balanceCase("3", "7", "0.001", required.minus("1e-35"), 3))).toEqual(["INSUFFICIENT_BALANCE"]);
  });

  it("agrees with the exact product for balances near and far from it", () => {
    const amount = fc.tuple(fc.integer({ min: 1, max: 10 ** 9 }), fc.integer({ min: 0, max: 12 })).map(([n, places]) => new Decimal(n).dividedBy(10 ** places));
    fc.assert(
      fc.property(amount, amount, fc.integer({ min: 0, max: 100 }), fc.integer({ min: -40, max: 3 }), fc.boolean(), (q, p, feeBps, shiftExp, below) => {
        const fee = new Decimal(feeBps).dividedBy(10_000);
        const required = q.times(p).times(fee.plus(1));
        const shift = new Decimal(10).pow(shiftExp);
        const available = below ? Decimal.max(0, required.minus(shift)) : required.plus(shift);
        const i = balanceCase(q.toString(), p.toString(), fee.toString(), available);
        expect(codes(i).includes("INSUFFICIENT_BALANCE")).toBe(required.greaterThan(available));
      }),
      { numRuns: 500 },
    );
  });
});
