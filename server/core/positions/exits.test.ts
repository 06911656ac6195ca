import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { type Position, type PositionSide, applyFill, openPosition } from "./book";
import {
  type ExitConfig,
  type ExitIntent,
  type ExitState,
  type MarketPrice,
  createExitState,
  evaluateExits,
  exitLevels,
  validateExitConfig,
  withExitConfig,
} from "./exits";

/** A position of `qty` at entry 100, opened at ts 0. */
function position(side: PositionSide, qty = "10"): Position {
  const r = applyFill(openPosition({ id: "pos-1", symbol: "BTC/USDT", side, ts: 0 }), {
    tradeId: "entry",
    side: side === "LONG" ? "BUY" : "SELL",
    qty,
    price: "100",
    ts: 0,
  });
  if (!r.ok) throw new Error(r.error.message);
  return r.value.position;
}

function reduce(p: Position, qty: string, tradeId: string): Position {
  const r = applyFill(p, { tradeId, side: p.side === "LONG" ? "SELL" : "BUY", qty, price: "100", ts: 1 });
  if (!r.ok) throw new Error(r.error.message);
  return r.value.position;
}

const at = (price: number, ts = 1, extra: Partial<MarketPrice> = {}): MarketPrice => ({ price, ts, ...extra });

/** Feeds prices one by one; returns every intent and the final state. */
function feed(p: Position, config: ExitConfig, prices: MarketPrice[]): { intents: ExitIntent[][]; state: ExitState; stops: (number | null)[] } {
  let state = createExitState(config);
  const intents: ExitIntent[][] = [];
  const stops: (number | null)[] = [];
  for (const m of prices) {
    const r = evaluateExits(p, state, m);
    intents.push(r.intents);
    state = r.state;
    stops.push(state.trailingStop);
  }
  return { intents, state, stops };
}

const summary = (intents: ExitIntent[]) => intents.map((i) => `${i.reason}:${i.qty.toString()}@${i.triggerPrice}${i.level === undefined ? "" : `#${i.level}`}`);

describe("single rules, long and short mirrored", () => {
  const cases: { name: string; side: PositionSide; config: ExitConfig; market: MarketPrice; expected: string[] }[] = [
    { name: "long stop-loss % not yet", side: "LONG", config: { stopLoss: { pct: 5 } }, market: at(95.01), expected: [] },
    { name: "long stop-loss % hit", side: "LONG", config: { stopLoss: { pct: 5 } }, market: at(95), expected: ["stop_loss:10@95"] },
    { name: "long stop-loss price hit", side: "LONG", config: { stopLoss: { price: 90 } }, market: at(89), expected: ["stop_loss:10@90"] },
    { name: "short stop-loss % not yet", side: "SHORT", config: { stopLoss: { pct: 5 } }, market: at(104.99), expected: [] },
    { name: "short stop-loss % hit", side: "SHORT", config: { stopLoss: { pct: 5 } }, market: at(105), expected: ["stop_loss:10@105"] },
    { name: "short stop-loss price hit", side: "SHORT", config: { stopLoss: { price: 110 } }, market: at(111), expected: ["stop_loss:10@110"] },
    { name: "long take-profit % not yet", side: "LONG", config: { takeProfit: { pct: 10 } }, market: at(109.99), expected: [] },
    { name: "long take-profit % hit", side: "LONG", config: { takeProfit: { pct: 10 } }, market: at(110), expected: ["take_profit:10@110"] },
    { name: "long take-profit price hit", side: "LONG", config: { takeProfit: { price: 120 } }, market: at(125), expected: ["take_profit:10@120"] },
    { name: "short take-profit % hit", side: "SHORT", config: { takeProfit: { pct: 10 } }, market: at(90), expected: ["take_profit:10@90"] },
    { name: "short take-profit % not yet", side: "SHORT", config: { takeProfit: { pct: 10 } }, market: at(90.01), expected: [] },
    { name: "long uses the bid", side: "LONG", config: { stopLoss: { price: 95 } }, market: at(96, 1, { bid: 94, ask: 97 }), expected: ["stop_loss:10@95"] },
    { name: "long take-profit waits for the bid", side: "LONG", config: { takeProfit: { price: 110 } }, market: at(111, 1, { bid: 109 }), expected: [] },
    {
      name: "short uses the ask",
      side: "SHORT",
      config: { stopLoss: { price: 105 } },
      market: at(104, 1, { bid: 103, ask: 106 }),
      expected: ["stop_loss:10@105"],
    },
    { name: "max age not yet", side: "LONG", config: { maxAgeMs: 1000 }, market: at(100, 999), expected: [] },
    { name: "max age reached", side: "LONG", config: { maxAgeMs: 1000 }, market: at(101, 1000), expected: ["max_age:10@101"] },
    { name: "short max age reached", side: "SHORT", config: { maxAgeMs: 1000 }, market: at(99, 5000, { ask: 99.5 }), expected: ["max_age:10@99.5"] },
    { name: "no rules", side: "LONG", config: {}, market: at(1), expected: [] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const p = position(c.side);
      const r = evaluateExits(p, createExitState(c.config), c.market);
      expect(summary(r.intents)).toEqual(c.expected);
      for (const i of r.intents) {
        expect(i.positionId).toBe("pos-1");
        expect(i.symbol).toBe("BTC/USDT");
        expect(i.side).toBe(c.side === "LONG" ? "SELL" : "BUY");
        expect(i.ts).toBe(c.market.ts);
      }
    });
  }
});

describe("trailing stop", () => {
  it("long: activates at +2%, trails by 2, ratchets up only, fires at the stop", () => {
    const config: ExitConfig = { trailingStop: { activationPct: 2, distance: { price: 2 } } };
    const { intents, stops } = feed(position("LONG"), config, [at(101), at(102), at(105), at(104), at(106), at(105), at(104)]);
    expect(stops).toEqual([null, 100, 103, 103, 104, 104, 104]);
    expect(intents.map(summary)).toEqual([[], [], [], [], [], [], ["trailing_stop:10@104"]]);
  });

  it("short: mirrored", () => {
    const config: ExitConfig = { trailingStop: { activationPct: 2, distance: { price: 2 } } };
    const { intents, stops } = feed(position("SHORT"), config, [at(99), at(98), at(95), at(96), at(94), at(96)]);
    expect(stops).toEqual([null, 100, 97, 97, 96, 96]);
    expect(intents.map(summary)).toEqual([[], [], [], [], [], ["trailing_stop:10@96"]]);
  });

  it("percentage distance, active at once without activation", () => {
    const { stops, intents } = feed(position("LONG"), { trailingStop: { distance: { pct: 1 } } }, [at(100), at(110), at(108.8)]);
    expect(stops[0]).toBeCloseTo(99, 9);
    expect(stops[1]).toBeCloseTo(108.9, 9);
    expect(intents[1]).toEqual([]);
    expect(summary(intents[2]!)).toHaveLength(1);
    expect(intents[2]![0]?.reason).toBe("trailing_stop");
  });

  it("does not trail before the activation price is reached", () => {
    const { stops } = feed(position("LONG"), { trailingStop: { activationPct: 5, distance: { price: 1 } } }, [at(104), at(103)]);
    expect(stops).toEqual([null, null]);
  });

  for (const side of ["LONG", "SHORT"] as const) {
    it(`${side}: the stop never loosens, whatever the prices (property)`, () => {
      fc.assert(
        fc.property(
          fc.array(fc.double({ min: 50, max: 150, noNaN: true }), { minLength: 1, maxLength: 60 }),
          fc.double({ min: 0.1, max: 20, noNaN: true }),
          (prices, pct) => {
            const { stops } = feed(
              position(side),
              { trailingStop: { distance: { pct } } },
              prices.map((p) => at(p)),
            );
            for (let i = 1; i < stops.length; i++) {
              const prev = stops[i - 1]!;
              const cur = stops[i]!;
              if (side === "LONG") expect(cur).toBeGreaterThanOrEqual(prev);
              else expect(cur).toBeLessThanOrEqual(prev);
            }
          },
        ),
        { numRuns: 200 },
      );
    });
  }
});

describe("take-profit ladder", () => {
  const ladder: ExitConfig = {
    takeProfitLadder: [
      { pct: 2, closeFraction: 0.33 },
      { pct: 4, closeFraction: 0.5 },
      { pct: 8, closeFraction: 1 },
    ],
  };

  it("long: each level fires once, on the quantity remaining at that moment", () => {
    let p = position("LONG");
    let state = createExitState(ladder);
    const step = (price: number) => {
      const r = evaluateExits(p, state, at(price));
      state = r.state;
      return summary(r.intents);
    };
    expect(step(101.9)).toEqual([]);
    expect(step(102)).toEqual(["take_profit:3.3@102#0"]);
    expect(state.firedLevels).toEqual([0]);
    expect(step(103)).toEqual([]);
    p = reduce(p, "3.3", "x1");
    expect(step(102.5)).toEqual([]);
    expect(step(104)).toEqual(["take_profit:3.35@104#1"]);
    p = reduce(p, "3.35", "x2");
    expect(step(105)).toEqual([]);
    expect(step(108)).toEqual(["take_profit:3.35@108#2"]);
    expect(state.firedLevels).toEqual([0, 1, 2]);
    expect(step(120)).toEqual([]);
  });

  it("short: mirrored", () => {
    const r = evaluateExits(position("SHORT"), createExitState(ladder), at(96));
    expect(summary(r.intents)).toEqual(["take_profit:3.3@98#0", "take_profit:3.35@96#1"]);
  });

  it("a jump through every level closes exactly the whole position, one intent per level", () => {
    const r = evaluateExits(position("LONG"), createExitState(ladder), at(110));
    expect(summary(r.intents)).toEqual(["take_profit:3.3@102#0", "take_profit:3.35@104#1", "take_profit:3.35@108#2"]);
    expect(r.state.firedLevels).toEqual([0, 1, 2]);
  });

  it("rounds partial levels down to qtyStep; the last level takes the exact rest", () => {
    const r = evaluateExits(position("LONG", "1"), createExitState({ ...ladder, qtyStep: "0.1" }), at(110));
    expect(summary(r.intents)).toEqual(["take_profit:0.3@102#0", "take_profit:0.3@104#1", "take_profit:0.4@108#2"]);
  });

  it("a level whose quantity rounds to 0 is spent without an intent", () => {
    const r = evaluateExits(position("LONG", "0.1"), createExitState({ ...ladder, qtyStep: "0.1" }), at(102));
    expect(r.intents).toEqual([]);
    expect(r.state.firedLevels).toEqual([0]);
  });

  it("without a closing level the rest stays open", () => {
    const r = evaluateExits(
      position("LONG", "8"),
      createExitState({
        takeProfitLadder: [
          { pct: 1, closeFraction: 0.5 },
          { pct: 2, closeFraction: 0.5 },
        ],
      }),
      at(103),
    );
    expect(summary(r.intents)).toEqual(["take_profit:4@101#0", "take_profit:2@102#1"]);
  });
});

describe("priority and combinations", () => {
  const cases: { name: string; side: PositionSide; config: ExitConfig; prices: MarketPrice[]; last: string[] }[] = [
    {
      name: "stop-loss beats trailing stop",
      side: "LONG",
      config: { stopLoss: { price: 95 }, trailingStop: { distance: { price: 2 } } },
      prices: [at(105), at(94)],
      last: ["stop_loss:10@95"],
    },
    {
      name: "trailing stop beats max age",
      side: "LONG",
      config: { maxAgeMs: 10, trailingStop: { distance: { price: 2 } } },
      prices: [at(105, 1), at(102, 20)],
      last: ["trailing_stop:10@103"],
    },
    {
      name: "max age beats take-profit",
      side: "LONG",
      config: { maxAgeMs: 10, takeProfit: { pct: 5 } },
      prices: [at(106, 10)],
      last: ["max_age:10@106"],
    },
    {
      name: "fixed take-profit beats the ladder and closes everything",
      side: "LONG",
      config: { takeProfit: { pct: 3 }, takeProfitLadder: [{ pct: 1, closeFraction: 0.5 }] },
      prices: [at(104)],
      last: ["take_profit:10@103"],
    },
    {
      name: "short: stop-loss beats max age",
      side: "SHORT",
      config: { stopLoss: { pct: 5 }, maxAgeMs: 1, takeProfit: { pct: 5 } },
      prices: [at(106, 100)],
      last: ["stop_loss:10@105"],
    },
    {
      name: "stop-loss and take-profit with nothing crossed",
      side: "LONG",
      config: { stopLoss: { pct: 5 }, takeProfit: { pct: 5 } },
      prices: [at(100)],
      last: [],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const { intents } = feed(position(c.side), c.config, c.prices);
      expect(summary(intents[intents.length - 1]!)).toEqual(c.last);
    });
  }

  it("never returns more than the position quantity (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ pct: fc.integer({ min: 1, max: 50 }), closeFraction: fc.double({ min: 0.01, max: 1, noNaN: true }) }), {
          minLength: 1,
          maxLength: 6,
        }),
        fc.integer({ min: 1, max: 100_000 }),
        fc.double({ min: 50, max: 200, noNaN: true }),
        fc.constantFrom<PositionSide>("LONG", "SHORT"),
        (levels, qtyUnits, price, side) => {
          const p = position(side, String(qtyUnits / 1000));
          const r = evaluateExits(p, createExitState({ takeProfitLadder: levels, stopLoss: { pct: 30 }, qtyStep: "0.001" }), at(price));
          const total = r.intents.reduce((sum, i) => sum.plus(i.qty), p.quantity.minus(p.quantity));
          expect(total.lessThanOrEqualTo(p.quantity)).toBe(true);
          for (const i of r.intents) expect(i.qty.greaterThan(0)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("position states", () => {
  it("CLOSING: no intents, but the watermark and trailing stop still move", () => {
    const p: Position = { ...position("LONG"), state: "CLOSING" };
    const r = evaluateExits(p, createExitState({ stopLoss: { pct: 1 }, trailingStop: { distance: { price: 1 } } }), at(90));
    expect(r.intents).toEqual([]);
    expect(r.state.watermark).toBe(90);
    expect(r.state.trailingStop).toBe(89);
  });

  it("SCALING still produces intents (a stop must work while a partial order is open)", () => {
    const p: Position = { ...position("LONG"), state: "SCALING" };
    expect(summary(evaluateExits(p, createExitState({ stopLoss: { pct: 1 } }), at(90)).intents)).toEqual(["stop_loss:10@99"]);
  });

  it("OPENING and CLOSED positions are left alone", () => {
    const state = createExitState({ stopLoss: { pct: 1 } });
    const opening = openPosition({ id: "p", symbol: "S", side: "LONG", ts: 0 });
    expect(evaluateExits(opening, state, at(1))).toEqual({ intents: [], state });
    const closed = reduce(position("LONG"), "10", "x");
    expect(evaluateExits(closed, state, at(1))).toEqual({ intents: [], state });
  });

  it("ignores a non-finite price", () => {
    const state = createExitState({ stopLoss: { pct: 1 } });
    expect(evaluateExits(position("LONG"), state, at(NaN))).toEqual({ intents: [], state });
  });

  it("exit levels follow the average entry after a scale-in", () => {
    const r = applyFill(position("LONG"), { tradeId: "more", side: "BUY", qty: "10", price: "110", ts: 2 });
    if (!r.ok) throw new Error(r.error.message);
    const levels = exitLevels(r.value.position, createExitState({ stopLoss: { pct: 10 }, takeProfit: { price: 130 } }));
    expect(levels.stopLoss).toBeCloseTo(94.5, 9);
    expect(levels.takeProfit).toBe(130);
  });

  it("withExitConfig keeps fired levels and the watermark", () => {
    const config: ExitConfig = {
      takeProfitLadder: [
        { pct: 2, closeFraction: 0.5 },
        { pct: 4, closeFraction: 1 },
      ],
    };
    const first = evaluateExits(position("LONG"), createExitState(config), at(103));
    const moved = withExitConfig(first.state, { ...config, stopLoss: { price: 99 } });
    expect(moved.firedLevels).toEqual([0]);
    expect(moved.watermark).toBe(103);
    expect(summary(evaluateExits(position("LONG"), moved, at(98)).intents)).toEqual(["stop_loss:10@99"]);
  });
});

describe("validateExitConfig", () => {
  const cases: { name: string; config: ExitConfig; side?: PositionSide; codes: string[] }[] = [
    {
      name: "a full valid config",
      config: {
        stopLoss: { pct: 5 },
        takeProfit: { price: 130 },
        trailingStop: { activationPct: 2, distance: { pct: 1 } },
        takeProfitLadder: [
          { pct: 2, closeFraction: 0.33 },
          { pct: 4, closeFraction: 0.5 },
          { pct: 8, closeFraction: 1 },
        ],
        maxAgeMs: 86_400_000,
        qtyStep: "0.001",
      },
      side: "LONG",
      codes: [],
    },
    { name: "empty", config: {}, codes: [] },
    { name: "negative stop %", config: { stopLoss: { pct: -1 } }, codes: ["INVALID_STOP_LOSS"] },
    { name: "both price and pct", config: { stopLoss: { pct: 1, price: 2 } }, codes: ["INVALID_STOP_LOSS"] },
    { name: "long stop at 100%", config: { stopLoss: { pct: 100 } }, side: "LONG", codes: ["INVALID_STOP_LOSS"] },
    { name: "short stop at 150% is fine", config: { stopLoss: { pct: 150 } }, side: "SHORT", codes: [] },
    { name: "short take-profit at 100%", config: { takeProfit: { pct: 100 } }, side: "SHORT", codes: ["INVALID_TAKE_PROFIT"] },
    { name: "NaN take-profit price", config: { takeProfit: { price: NaN } }, codes: ["INVALID_TAKE_PROFIT"] },
    { name: "trailing distance 0", config: { trailingStop: { distance: { pct: 0 } } }, codes: ["INVALID_TRAILING_STOP"] },
    { name: "trailing negative activation", config: { trailingStop: { activationPct: -1, distance: { price: 1 } } }, codes: ["INVALID_TRAILING_STOP"] },
    { name: "empty ladder", config: { takeProfitLadder: [] }, codes: ["INVALID_LADDER"] },
    {
      name: "ladder not increasing",
      config: {
        takeProfitLadder: [
          { pct: 4, closeFraction: 0.5 },
          { pct: 2, closeFraction: 1 },
        ],
      },
      codes: ["INVALID_LADDER"],
    },
    { name: "ladder fraction above 1", config: { takeProfitLadder: [{ pct: 4, closeFraction: 1.5 }] }, codes: ["INVALID_LADDER"] },
    {
      name: "ladder level after a full close",
      config: {
        takeProfitLadder: [
          { pct: 2, closeFraction: 1 },
          { pct: 4, closeFraction: 0.5 },
        ],
      },
      codes: ["INVALID_LADDER"],
    },
    { name: "max age 0", config: { maxAgeMs: 0 }, codes: ["INVALID_MAX_AGE"] },
    { name: "qty step 0", config: { qtyStep: "0" }, codes: ["INVALID_QTY_STEP"] },
    { name: "long stop above take-profit", config: { stopLoss: { price: 110 }, takeProfit: { price: 105 } }, side: "LONG", codes: ["INCONSISTENT_LEVELS"] },
    { name: "short stop below take-profit", config: { stopLoss: { price: 90 }, takeProfit: { price: 95 } }, side: "SHORT", codes: ["INCONSISTENT_LEVELS"] },
    { name: "several problems at once", config: { stopLoss: { pct: 0 }, maxAgeMs: -5 }, codes: ["INVALID_STOP_LOSS", "INVALID_MAX_AGE"] },
  ];
  for (const c of cases) {
    it(`${c.name} → [${c.codes.join(", ")}]`, () => {
      const errors = validateExitConfig(c.config, c.side);
      expect(errors.map((e) => e.code)).toEqual(c.codes);
      for (const e of errors) expect(e.message.length).toBeGreaterThan(10);
    });
  }
});
