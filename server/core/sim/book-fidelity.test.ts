/**
 * Book fidelity (book-fidelity.ts) on small hand-made books: the impact beyond the shown depth, the consumed-liquidity
 * overlay and how it refills, and the queue ahead of resting limits. The same rules on the recorded Binance data:
 * server/venues/replay/recorded-fidelity.test.ts.
 */
import { describe, expect, it } from "vitest";
import { book, lines, run, trade, type Step } from "../../../test/sim/core-helpers";
import { makeInstrument } from "../instrument";
import { MatchingEngine, type MatchingEngineConfig } from "./matching-engine";
import { type SimVenueSnapshot } from "./snapshot";

const ZERO_FEE_BTC = makeInstrument({ symbol: "BTC/USDT", priceTick: "0.01", qtyStep: "0.001" });

function venue(overrides: Partial<MatchingEngineConfig> = {}): MatchingEngine {
  return new MatchingEngine({ instruments: [ZERO_FEE_BTC], initialBalances: { USDT: "1000000", BTC: "100" }, bookFidelity: {}, ...overrides });
}

const twoAsks = book(
  [[99, 1]],
  [
    [100, 1],
    [101, 1],
  ],
);
const buy = (clientOrderId: string, quantity: string, t = 0, extra: Partial<Extract<Step, { submit: unknown }>["submit"]> = {}): Step => ({
  submit: { clientOrderId, side: "BUY", type: "MARKET", quantity, ...extra },
  t,
});
const bid = (clientOrderId: string, price: string, quantity = "1", t = 0): Step => ({
  submit: { clientOrderId, side: "BUY", type: "LIMIT", price, quantity },
  t,
});

describe("impact beyond the shown depth", () => {
  const cases: [string, Partial<MatchingEngineConfig>, Step[], string[]][] = [
    [
      "a market buy walks the shown levels, then fills the rest at p_last × (1 + η·√(r/D)): 101 × (1 + 1 % × √(2/2)) = 102.01",
      { bookFidelity: { impactBps: 100 } },
      [{ md: twoAsks }, buy("a", "4")],
      ["a accept t0", "a fill 1@100 fee 0 TAKER sim-1 t0", "a fill 1@101 fee 0 TAKER sim-2 t0", "a fill 2@102.01 fee 0 TAKER sim-3 t0"],
    ],
    [
      "η defaults to the shown side's width (100 → 101: 100 bps): 101 × (1 + 1 % × √(0.5/2)) = 101.505, rounded up to 101.51",
      {},
      [{ md: twoAsks }, buy("a", "2.5")],
      ["a accept t0", "a fill 1@100 fee 0 TAKER sim-1 t0", "a fill 1@101 fee 0 TAKER sim-2 t0", "a fill 0.5@101.51 fee 0 TAKER sim-3 t0"],
    ],
    [
      "a sell goes down: 98 × (1 − 101.01 bps × √(1/2)) = 97.30003, rounded down to 97.30",
      {},
      [
        {
          md: book(
            [
              [99, 1],
              [98, 1],
            ],
            [[100, 1]],
          ),
        },
        { submit: { clientOrderId: "a", side: "SELL", type: "MARKET", quantity: "3" } },
      ],
      ["a accept t0", "a fill 1@99 fee 0 TAKER sim-1 t0", "a fill 1@98 fee 0 TAKER sim-2 t0", "a fill 1@97.3 fee 0 TAKER sim-3 t0"],
    ],
    [
      "a sell so large that the formula passes zero fills at one tick: 98 × (1 − 100 % × √(4/1)) < 0",
      { bookFidelity: { impactBps: 10_000 } },
      [{ md: book([[98, 1]], [[100, 1]]) }, { submit: { clientOrderId: "a", side: "SELL", type: "MARKET", quantity: "5" } }],
      ["a accept t0", "a fill 1@98 fee 0 TAKER sim-1 t0", "a fill 4@0.01 fee 0 TAKER sim-2 t0"],
    ],
    [
      "a FOK market larger than the shown book fills (the impact model prices the rest)",
      { bookFidelity: { impactBps: 100 } },
      [{ md: twoAsks }, buy("a", "4", 0, { timeInForce: "FOK" })],
      ["a accept t0", "a fill 1@100 fee 0 TAKER sim-1 t0", "a fill 1@101 fee 0 TAKER sim-2 t0", "a fill 2@102.01 fee 0 TAKER sim-3 t0"],
    ],
    [
      "a marketable limit takes the shown levels within its limit and rests the rest: only market orders go beyond the depth",
      {},
      [{ md: twoAsks }, bid("a", "105", "3")],
      ["a accept t0", "a fill 1@100 fee 0 TAKER sim-1 t0", "a fill 1@101 fee 0 TAKER sim-2 t0"],
    ],
    [
      "without bookFidelity the rest of a market order waits for the next snapshot (the default, unchanged)",
      { bookFidelity: undefined },
      [{ md: twoAsks }, buy("a", "4")],
      ["a accept t0", "a fill 1@100 fee 0 TAKER sim-1 t0", "a fill 1@101 fee 0 TAKER sim-2 t0"],
    ],
  ];
  it.each(cases)("%s", (_name, config, steps, expected) => {
    expect(run(venue(config), steps)).toEqual(expected);
  });
});

describe("liquidity consumed stays out of the next snapshots until the book refills", () => {
  const cases: [string, Partial<MatchingEngineConfig>, Step[], string[]][] = [
    [
      "a second buy in the same snapshot pays the next level",
      {},
      [{ md: twoAsks }, buy("a", "1"), buy("b", "1")],
      ["a accept t0", "a fill 1@100 fee 0 TAKER sim-1 t0", "b accept t0", "b fill 1@101 fee 0 TAKER sim-2 t0"],
    ],
    [
      "the next snapshot showing the level unchanged still lacks what we took",
      {},
      [{ md: twoAsks }, buy("a", "1"), { md: twoAsks, t: 1 }, buy("b", "1", 1)],
      ["a accept t0", "a fill 1@100 fee 0 TAKER sim-1 t0", "b accept t1", "b fill 1@101 fee 0 TAKER sim-2 t1"],
    ],
    [
      "without bookFidelity the next snapshot is taken as it comes (the default, unchanged)",
      { bookFidelity: undefined },
      [{ md: twoAsks }, buy("a", "1"), { md: twoAsks, t: 1 }, buy("b", "1", 1)],
      ["a accept t0", "a fill 1@100 fee 0 TAKER sim-1 t0", "b accept t1", "b fill 1@100 fee 0 TAKER sim-2 t1"],
    ],
    [
      "growth of the level repays the debt first: 1 taken, the level grows 1 → 1.4, so 0.8 of it is there",
      {},
      [
        { md: twoAsks },
        buy("a", "1"),
        {
          md: book(
            [[99, 1]],
            [
              [100, 1.4],
              [101, 1],
            ],
          ),
          t: 1,
        },
        buy("b", "1", 1),
      ],
      ["a accept t0", "a fill 1@100 fee 0 TAKER sim-1 t0", "b accept t1", "b fill 0.8@100 fee 0 TAKER sim-2 t1", "b fill 0.2@101 fee 0 TAKER sim-3 t1"],
    ],
    [
      "a recorded buy at the level repays what it traded (0.3 of the 1 taken)",
      {},
      [{ md: twoAsks }, buy("a", "1"), { md: trade(100, 0.3, "BUY"), t: 1 }, { md: twoAsks, t: 2 }, buy("b", "1", 2)],
      ["a accept t0", "a fill 1@100 fee 0 TAKER sim-1 t0", "b accept t2", "b fill 0.3@100 fee 0 TAKER sim-2 t2", "b fill 0.7@101 fee 0 TAKER sim-3 t2"],
    ],
    [
      "a recorded sell at the level does not repay a debt on the asks",
      {},
      [{ md: twoAsks }, buy("a", "1"), { md: trade(100, 0.3, "SELL"), t: 1 }, { md: twoAsks, t: 2 }, buy("b", "1", 2)],
      ["a accept t0", "a fill 1@100 fee 0 TAKER sim-1 t0", "b accept t2", "b fill 1@101 fee 0 TAKER sim-2 t2"],
    ],
    [
      "a recorded buy through the level clears it",
      {},
      [{ md: twoAsks }, buy("a", "1"), { md: trade(100.5, 0.1, "BUY"), t: 1 }, { md: twoAsks, t: 2 }, buy("b", "1", 2)],
      ["a accept t0", "a fill 1@100 fee 0 TAKER sim-1 t0", "b accept t2", "b fill 1@100 fee 0 TAKER sim-2 t2"],
    ],
    [
      "the touch moving past the level clears it",
      {},
      [
        { md: twoAsks },
        buy("a", "1"),
        {
          md: book(
            [[99, 1]],
            [
              [100.5, 1],
              [101, 1],
            ],
          ),
          t: 1,
        },
        { md: twoAsks, t: 2 },
        buy("b", "1", 2),
      ],
      ["a accept t0", "a fill 1@100 fee 0 TAKER sim-1 t0", "b accept t2", "b fill 1@100 fee 0 TAKER sim-2 t2"],
    ],
    [
      "a level beyond the shown depth keeps its debt; with both levels owed, the buy is priced beyond the depth: 101 × (1 + 1 % × √(1/2)) → 101.72",
      {},
      [{ md: twoAsks }, buy("a", "2"), { md: book([[99, 1]], [[100, 1]]), t: 1 }, { md: twoAsks, t: 2 }, buy("b", "1", 2)],
      ["a accept t0", "a fill 1@100 fee 0 TAKER sim-1 t0", "a fill 1@101 fee 0 TAKER sim-2 t0", "b accept t2", "b fill 1@101.72 fee 0 TAKER sim-3 t2"],
    ],
  ];
  it.each(cases)("%s", (_name, config, steps, expected) => {
    expect(run(venue(config), steps)).toEqual(expected);
  });
});

describe("a resting limit queues behind the recorded size at its price", () => {
  const bids = book(
    [
      [99, 2],
      [98, 1],
    ],
    [[100, 1]],
  );
  const cases: [string, Partial<MatchingEngineConfig>, Step[], string[]][] = [
    [
      "at the best bid: 2 ahead; 1.5 traded leaves 0.5 ahead, the next 1 fills 0.5, the next the rest",
      {},
      [{ md: bids }, bid("a", "99"), { md: trade(99, 1.5, "SELL"), t: 1 }, { md: trade(99, 1, "SELL"), t: 2 }, { md: trade(99, 1, "SELL"), t: 3 }],
      ["a accept t0", "a fill 0.5@99 fee 0 MAKER sim-1 t2", "a fill 0.5@99 fee 0 MAKER sim-2 t3"],
    ],
    [
      "a buyer trading at the bid's price leaves the queue; a sell through the price fills by its size",
      {},
      [{ md: bids }, bid("a", "99"), { md: trade(99, 5, "BUY"), t: 1 }, { md: trade(98.5, 0.4, "SELL"), t: 2 }],
      ["a accept t0", "a fill 0.4@99 fee 0 MAKER sim-1 t2"],
    ],
    [
      "a trade of unknown side at the price works off the queue too",
      {},
      [{ md: bids }, bid("a", "99"), { md: trade(99, 2.25), t: 1 }],
      ["a accept t0", "a fill 0.25@99 fee 0 MAKER sim-1 t1"],
    ],
    [
      "a snapshot showing the level smaller caps the queue (those ahead cancelled)",
      {},
      [
        { md: bids },
        bid("a", "99"),
        {
          md: book(
            [
              [99, 0.5],
              [98, 1],
            ],
            [[100, 1]],
          ),
          t: 1,
        },
        { md: trade(99, 1, "SELL"), t: 2 },
      ],
      ["a accept t0", "a fill 0.5@99 fee 0 MAKER sim-1 t2"],
    ],
    [
      "a snapshot showing the level larger does not put more ahead",
      {},
      [
        { md: bids },
        bid("a", "99"),
        {
          md: book(
            [
              [99, 7],
              [98, 1],
            ],
            [[100, 1]],
          ),
          t: 1,
        },
        { md: trade(99, 2.5, "SELL"), t: 2 },
      ],
      ["a accept t0", "a fill 0.5@99 fee 0 MAKER sim-1 t2"],
    ],
    [
      "a level gone from inside the shown range leaves nobody ahead",
      {},
      [
        { md: bids },
        bid("a", "98"),
        {
          md: book(
            [
              [99, 2],
              [97, 1],
            ],
            [[100, 1]],
          ),
          t: 1,
        },
        { md: trade(98, 0.4, "SELL"), t: 2 },
      ],
      ["a accept t0", "a fill 0.4@98 fee 0 MAKER sim-1 t2"],
    ],
    [
      "inside the spread nobody is ahead",
      {},
      [{ md: bids }, bid("a", "99.5"), { md: trade(99.5, 0.3, "SELL"), t: 1 }],
      ["a accept t0", "a fill 0.3@99.5 fee 0 MAKER sim-1 t1"],
    ],
    [
      "beyond the shown depth the queue is unknown: a trade at the price does not fill, one through it does",
      {},
      [{ md: bids }, bid("a", "97"), { md: trade(97, 5, "SELL"), t: 1 }, { md: trade(96.9, 0.2, "SELL"), t: 2 }],
      ["a accept t0", "a fill 0.2@97 fee 0 MAKER sim-1 t2"],
    ],
    [
      "without bookFidelity and with fillOnTouch a trade at the price fills in full (the default rules, unchanged)",
      { bookFidelity: undefined, fillOnTouch: true },
      [{ md: bids }, bid("a", "99"), { md: trade(99, 1.5, "SELL"), t: 1 }],
      ["a accept t0", "a fill 1@99 fee 0 MAKER sim-1 t1"],
    ],
    [
      "participationCap limits the fill beyond the queue",
      { participationCap: 0.5 },
      [{ md: bids }, bid("a", "99.5"), { md: trade(99.5, 1, "SELL"), t: 1 }],
      ["a accept t0", "a fill 0.5@99.5 fee 0 MAKER sim-1 t1"],
    ],
  ];
  it.each(cases)("%s", (_name, config, steps, expected) => {
    expect(run(venue(config), steps)).toEqual(expected);
  });
});

describe("snapshots carry the fidelity state", () => {
  it("a venue restored mid-way (a debt on the asks, a bid with its queue) goes on exactly like the original", () => {
    const original = venue();
    run(original, [{ md: twoAsks }, buy("a", "1"), bid("b", "99")]);
    const snapshot = JSON.parse(JSON.stringify(original.toSnapshot())) as SimVenueSnapshot;
    expect(snapshot.symbols[0]).toMatchObject({
      consumedAsks: [[100, "1"]],
      rawAsks: [
        [100, 1],
        [101, 1],
      ],
    });
    expect(snapshot.orders.find((order) => order.clientOrderId === "b")).toMatchObject({ queueAhead: "1" });
    const restored = MatchingEngine.fromSnapshot({ instruments: [ZERO_FEE_BTC], initialBalances: {}, bookFidelity: {} }, snapshot);
    const after: Step[] = [{ md: trade(99, 1.5, "SELL"), t: 1 }, { md: twoAsks, t: 2 }, buy("c", "1", 2)];
    const expected = ["b fill 0.5@99 fee 0 MAKER sim-2 t1", "c accept t2", "c fill 1@101 fee 0 TAKER sim-3 t2"];
    expect(run(original, after)).toEqual(expected);
    expect(run(restored, after)).toEqual(expected);
  });

  it("a venue without bookFidelity writes none of it", () => {
    const plain = venue({ bookFidelity: undefined });
    lines(plain.onMarketData(twoAsks, 0));
    run(plain, [bid("b", "99")]);
    const snapshot = plain.toSnapshot();
    expect(Object.keys(snapshot.symbols[0]!)).not.toContain("rawAsks");
    expect(Object.keys(snapshot.orders[0]!)).not.toContain("queueAhead");
  });
});
