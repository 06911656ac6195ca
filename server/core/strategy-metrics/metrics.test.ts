import { describe, expect, it } from "vitest";
import { D } from "../money";
import { correlation, directionOf, realizedReturn, signalOutcomes, strategyMetrics, type SignalFact, type TradeFact } from "./metrics";
import { addTrade, addTradeKeepingSums, EMPTY_TALLY, kellyEvidence, RunningTally, type StrategyTally } from "./tally";

const signal = (id: string, over: Partial<SignalFact> = {}): SignalFact => ({
  id,
  strategy: "model-a",
  action: "BUY",
  confidence: 0.5,
  expectedReturn: null,
  status: "ACCEPTED",
  denyCode: null,
  ...over,
});

/** A trade of 1 unit entered at 100: `exit` sets the move, `fee` is taken from the gross. */
const trade = (
  id: string,
  over: { exit: string; side?: "LONG" | "SHORT"; fee?: string; signalId?: string | null; strategy?: string | null; symbol?: string; qty?: string },
): TradeFact => {
  const qty = D(over.qty ?? "1");
  const side = over.side ?? "LONG";
  const gross = D(over.exit)
    .minus(100)
    .times(qty)
    .times(side === "LONG" ? 1 : -1);
  const fees = D(over.fee ?? "0");
  return {
    id,
    strategy: over.strategy === undefined ? "model-a" : over.strategy,
    signalId: over.signalId === undefined ? `s-${id}` : over.signalId,
    symbol: over.symbol ?? "BTC/USDT",
    side,
    quantity: qty,
    entryPrice: D(100),
    exitPrice: D(over.exit),
    grossPnl: gross,
    fees,
    pnl: gross.minus(fees),
  };
};

describe("directionOf and realizedReturn", () => {
  it.each([
    { name: "long up", t: trade("1", { exit: "103" }), direction: 1, realized: 0.03 },
    { name: "long down", t: trade("1", { exit: "98" }), direction: -1, realized: -0.02 },
    { name: "short down is a hit", t: trade("1", { exit: "98", side: "SHORT" }), direction: 1, realized: 0.02 },
    { name: "short up is a miss", t: trade("1", { exit: "101", side: "SHORT" }), direction: -1, realized: -0.01 },
    { name: "flat, fees make it a loss", t: trade("1", { exit: "100", fee: "0.5" }), direction: 0, realized: -0.005 },
    { name: "right direction, fees eat the gain", t: trade("1", { exit: "100.2", fee: "0.5" }), direction: 1, realized: -0.003 },
    { name: "two units: the return is per notional", t: trade("1", { exit: "110", qty: "2", fee: "2" }), direction: 1, realized: 0.09 },
  ])("$name", ({ t, direction, realized }) => {
    expect(directionOf(t)).toBe(direction);
    expect(realizedReturn(t)).toBeCloseTo(realized, 12);
  });
});

describe("correlation", () => {
  it.each([
    { xs: [1, 2, 3], ys: [2, 4, 6], r: 1 },
    { xs: [1, 2, 3], ys: [3, 2, 1], r: -1 },
    { xs: [1, 2], ys: [1, 2], r: null }, // under 3 points
    { xs: [1, 1, 1], ys: [1, 2, 3], r: null }, // no spread
  ])("$xs vs $ys → $r", ({ xs, ys, r }) => {
    const got = correlation(xs, ys);
    if (r === null) expect(got).toBeNull();
    else expect(got).toBeCloseTo(r, 12);
  });
});

describe("strategyMetrics: signals received, accepted and refused by code", () => {
  it.each([
    { name: "none", signals: [], want: { received: 0, accepted: 0, denied: 0, failed: 0, refusedByCode: [] } },
    {
      name: "mixed, codes most frequent first then by name",
      signals: [
        signal("1"),
        signal("2", { status: "DENIED", denyCode: "MIN_CONFIDENCE" }),
        signal("3", { status: "DENIED", denyCode: "SYMBOL_LOCKED" }),
        signal("4", { status: "DENIED", denyCode: "SYMBOL_LOCKED" }),
        signal("5", { status: "FAILED", denyCode: null }),
        signal("6", { status: "DENIED", denyCode: "HALTED" }),
      ],
      want: {
        received: 6,
        accepted: 1,
        denied: 4,
        failed: 1,
        refusedByCode: [
          { code: "SYMBOL_LOCKED", count: 2 },
          { code: "HALTED", count: 1 },
          { code: "INTERNAL_ERROR", count: 1 },
          { code: "MIN_CONFIDENCE", count: 1 },
        ],
      },
    },
  ])("$name", ({ signals, want }) => {
    const [m] = strategyMetrics([...signals, signal("other", { strategy: "zz-other", status: "DENIED", denyCode: "X" })], []);
    expect(m!.strategy).toBe(signals.length === 0 ? "zz-other" : "model-a");
    if (signals.length > 0) expect(m!.signals).toEqual(want);
  });
});

describe("strategyMetrics: direction, expectedReturn, calibration and PnL per strategy", () => {
  const signals = [
    signal("s-1", { confidence: 0.9, expectedReturn: 0.04 }),
    signal("s-2", { confidence: 0.85, expectedReturn: 0.02 }),
    signal("s-3", { confidence: 0.3, expectedReturn: 0.01 }),
    signal("s-4", { confidence: 0.1, expectedReturn: null }),
    signal("s-5", { strategy: "model-b", action: "SELL", confidence: 1, expectedReturn: 0.01 }),
  ];
  const trades = [
    trade("1", { exit: "103" }), // hit, +3 %
    trade("2", { exit: "99", symbol: "ETH/USDT" }), // miss, −1 %
    trade("3", { exit: "102" }), // hit, +2 %
    trade("4", { exit: "100" }), // flat, 0: breakeven
    trade("5", { exit: "95", side: "SHORT", strategy: "model-b" }), // short hit, +5 %
    trade("6", { exit: "90", strategy: null, signalId: null }), // a person's trade: −10
  ];
  const byName = Object.fromEntries(strategyMetrics(signals, trades).map((m) => [m.strategy, m]));

  it("lists each strategy that sent a signal or owns a trade, people's trades as manual", () => {
    expect(Object.keys(byName)).toEqual(["manual", "model-a", "model-b"]);
  });

  it.each([
    { strategy: "model-a", want: { judged: 3, hits: 2, misses: 1, flat: 1, hitRate: 2 / 3 } },
    { strategy: "model-b", want: { judged: 1, hits: 1, misses: 0, flat: 0, hitRate: 1 } },
    { strategy: "manual", want: { judged: 1, hits: 0, misses: 1, flat: 0, hitRate: 0 } },
  ])("direction of $strategy", ({ strategy, want }) => {
    expect(byName[strategy]!.direction).toEqual(want);
  });

  it("expectedReturn against realized: only trades whose signal promised a return", () => {
    const e = byName["model-a"]!.expectedReturn;
    // pairs (expected, realized): (0.04, 0.03), (0.02, −0.01), (0.01, 0.02)
    expect(e.pairs).toBe(3);
    expect(e.meanExpected).toBeCloseTo(0.07 / 3, 12);
    expect(e.meanRealized).toBeCloseTo(0.04 / 3, 12);
    expect(e.meanError).toBeCloseTo(-0.03 / 3, 12);
    expect(e.meanAbsError).toBeCloseTo(0.05 / 3, 12);
    expect(e.signAgreement).toBeCloseTo(2 / 3, 12);
    expect(e.correlation).toBeCloseTo(correlation([0.04, 0.02, 0.01], [0.03, -0.01, 0.02])!, 12);
    expect(byName["manual"]!.expectedReturn).toMatchObject({ pairs: 0, meanExpected: null, correlation: null, signAgreement: null });
  });

  it.each([
    { strategy: "model-a", bucket: 4, want: { from: 0.8, to: 1, trades: 2, wins: 1, winRate: 0.5, meanConfidence: 0.875 } },
    { strategy: "model-a", bucket: 1, want: { from: 0.2, to: 0.4, trades: 1, wins: 1, winRate: 1, meanConfidence: 0.3 } },
    { strategy: "model-a", bucket: 0, want: { from: 0, to: 0.2, trades: 1, wins: 0, winRate: 0, meanConfidence: 0.1 } },
    { strategy: "model-a", bucket: 2, want: { from: 0.4, to: 0.6, trades: 0, wins: 0, winRate: null, meanConfidence: null } },
    { strategy: "model-b", bucket: 4, want: { from: 0.8, to: 1, trades: 1, wins: 1, winRate: 1, meanConfidence: 1 } }, // confidence 1 in the last
    { strategy: "manual", bucket: 4, want: { from: 0.8, to: 1, trades: 0, wins: 0, winRate: null, meanConfidence: null } }, // no signal: not judged
  ])("calibration of $strategy, bucket $bucket", ({ strategy, bucket, want }) => {
    const b = byName[strategy]!.calibration[bucket]!;
    expect({ ...b, meanConfidence: b.meanConfidence === null ? null : Number(b.meanConfidence.toFixed(12)) }).toEqual(want);
  });

  it.each([
    { strategy: "model-a", want: { trades: 4, wins: 2, losses: 1, breakeven: 1, net: "4", avgWin: "2.5", avgLoss: "-1", payoff: 2.5, share: 4 / 19 } },
    { strategy: "model-b", want: { trades: 1, wins: 1, losses: 0, breakeven: 0, net: "5", avgWin: "5", avgLoss: null, payoff: null, share: 5 / 19 } },
    { strategy: "manual", want: { trades: 1, wins: 0, losses: 1, breakeven: 0, net: "-10", avgWin: null, avgLoss: "-10", payoff: null, share: -10 / 19 } },
  ])("PnL attribution of $strategy", ({ strategy, want }) => {
    const p = byName[strategy]!.pnl;
    expect({
      trades: p.trades,
      wins: p.wins,
      losses: p.losses,
      breakeven: p.breakeven,
      net: p.netPnl.toString(),
      avgWin: p.avgWin?.toString() ?? null,
      avgLoss: p.avgLoss?.toString() ?? null,
      payoff: p.payoffRatio,
      share: p.share,
    }).toEqual(want);
  });

  it("PnL by symbol, best first, exact", () => {
    expect(byName["model-a"]!.pnl.bySymbol.map((s) => [s.symbol, s.trades, s.netPnl.toString()])).toEqual([
      ["BTC/USDT", 3, "5"],
      ["ETH/USDT", 1, "-1"],
    ]);
  });

  it("PnL per quote currency: one line for one currency, apart for symbols quoted in several", () => {
    expect(byName["model-a"]!.pnl.byCurrency.map((c) => [c.currency, c.trades, c.netPnl.toString(), c.fees.toString()])).toEqual([["USDT", 4, "4", "0"]]);
    const [m] = strategyMetrics(
      [],
      [
        trade("1", { exit: "101", fee: "0.1" }),
        trade("2", { exit: "99", fee: "0.00001", symbol: "ETH/BTC", qty: "0.01" }),
        trade("3", { exit: "102", fee: "0.00002", symbol: "ETH/BTC", qty: "0.01" }),
      ],
    );
    expect(m!.pnl.byCurrency.map((c) => [c.currency, c.trades, c.netPnl.toString(), c.fees.toString()])).toEqual([
      ["BTC", 2, "0.00997", "0.00003"], // −0.01 − 0.00001 + 0.02 − 0.00002
      ["USDT", 1, "0.9", "0.1"],
    ]);
  });

  it("shares per quote currency: of the strategies' PnL in that currency, never a BTC and a USDT PnL added up", () => {
    const metrics = strategyMetrics(
      [],
      [
        trade("1", { exit: "104", strategy: "both" }), // +4 USDT
        trade("2", { exit: "101", symbol: "ETH/BTC", qty: "0.01", strategy: "both" }), // +0.01 BTC
        trade("3", { exit: "94", strategy: "usdt" }), // −6 USDT
        trade("4", { exit: "97", symbol: "ETH/BTC", qty: "0.01", strategy: "btc" }), // −0.03 BTC
        trade("5", { exit: "99", strategy: "quiet" }), // −1 USDT
      ],
    );
    const by = Object.fromEntries(metrics.map((m) => [m.strategy, m.pnl]));
    // USDT: |4| + |−6| + |−1| = 11; BTC: |0.01| + |−0.03| = 0.04.
    expect(by.both!.byCurrency.map((c) => [c.currency, c.share])).toEqual([
      ["BTC", 0.25],
      ["USDT", 4 / 11],
    ]);
    expect(by.both!.share).toBeNull(); // two currencies: a share each
    expect(by.usdt!.share).toBe(-6 / 11);
    expect(by.btc!.share).toBe(-0.75);
    expect(by.quiet!.share).toBe(-1 / 11);
    // A strategy without a trade: none of it on a one-currency desk, unsaid on a mixed one.
    const [idle, usdtOnly] = strategyMetrics([signal("9", { strategy: "idle" })], [trade("1", { exit: "104", strategy: "usdt-only" })]);
    expect([idle!.strategy, idle!.pnl.share, usdtOnly!.pnl.share]).toEqual(["idle", 0, 1]);
    expect(
      strategyMetrics([signal("9", { strategy: "idle" })], [trade("1", { exit: "104" }), trade("2", { exit: "101", symbol: "ETH/BTC" })])[0]!.pnl.share,
    ).toBeNull();
  });

  it("fees: gross, fees and net add up exactly", () => {
    const [m] = strategyMetrics([], [trade("1", { exit: "100.1", fee: "0.03" }), trade("2", { exit: "99.9", fee: "0.03" })]);
    expect([m!.pnl.grossPnl.toString(), m!.pnl.fees.toString(), m!.pnl.netPnl.toString()]).toEqual(["0", "0.06", "-0.06"]);
    expect(m!.direction).toMatchObject({ hits: 1, misses: 1 });
  });

  it("refuses a bucket count out of range", () => {
    expect(() => strategyMetrics([], [], { buckets: 0 })).toThrow(RangeError);
    expect(strategyMetrics([signal("1")], [], { buckets: 10 })[0]!.calibration).toHaveLength(10);
  });
});

describe("signalOutcomes: one row per signal for the training loop", () => {
  it.each([
    { name: "opened a winning trade", s: signal("s-1", { expectedReturn: 0.02 }), want: { tradeId: "1", realizedReturn: 0.03, directionHit: true, win: true } },
    {
      name: "refused: no trade",
      s: signal("s-9", { status: "DENIED", denyCode: "HALTED" }),
      want: { tradeId: null, realizedReturn: null, directionHit: null, win: null },
    },
    { name: "flat trade: direction not judged", s: signal("s-4"), want: { tradeId: "4", realizedReturn: 0, directionHit: null, win: false } },
  ])("$name", ({ s, want }) => {
    const [row] = signalOutcomes([s], [trade("1", { exit: "103" }), trade("4", { exit: "100" })]);
    expect(row).toMatchObject({ signalId: s.id, status: s.status, ...want });
  });
});

describe("StrategyTally: the running record Kelly sizing reads", () => {
  it.each([
    { name: "nothing yet", pnls: [], want: { trades: 0, winRate: null, payoffRatio: null } },
    { name: "wins only: no payoff ratio", pnls: ["2", "1"], want: { trades: 2, winRate: 1, payoffRatio: null } },
    { name: "3 wins averaging 2, 1 loss of 1, a scratch", pnls: ["1", "2", "3", "-1", "0"], want: { trades: 5, winRate: 0.6, payoffRatio: 2 } },
    { name: "exact sums: 0.1 + 0.2", pnls: ["0.1", "0.2", "-0.3"], want: { trades: 3, winRate: 2 / 3, payoffRatio: 0.5 } },
  ])("$name", ({ pnls, want }) => {
    const tally = pnls.reduce((t, p) => addTrade(t, D(p)), EMPTY_TALLY);
    expect(kellyEvidence(tally)).toEqual(want);
  });

  it("keeping the sums as Decimals between trades gives the tally that parsing them each time gives", () => {
    const pnls = ["1.25", "-0.3333333333333333333333333333333333333333", "0", "7e-30", "-12.5", "0.1", "123456789.987654321"];
    const parsed = pnls.reduce((t, p) => addTrade(t, D(p)), EMPTY_TALLY);
    const kept = pnls.reduce<StrategyTally>((t, p) => addTradeKeepingSums(t, D(p)), EMPTY_TALLY);
    expect(kept).toBeInstanceOf(RunningTally);
    expect({ ...kept, winSum: kept.winSum, lossSum: kept.lossSum }).toMatchObject(parsed);
    expect(JSON.parse(JSON.stringify(kept))).toEqual(parsed);
    expect(JSON.stringify(kept)).toBe(JSON.stringify(parsed));
    expect(kellyEvidence(kept)).toEqual(kellyEvidence(parsed));
  });

  it("a running tally keeps a sum's text while the sum is unchanged (a stored '2.50' stays '2.50'), and writes a new sum's", () => {
    const stored: StrategyTally = { trades: 2, wins: 1, losses: 1, winSum: "2.50", lossSum: "1.0" };
    const scratch = addTradeKeepingSums(stored, D("0"));
    expect(JSON.parse(JSON.stringify(scratch))).toEqual({ trades: 3, wins: 1, losses: 1, winSum: "2.50", lossSum: "1.0" });
    const win = addTradeKeepingSums(scratch, D("0.5"));
    expect(JSON.parse(JSON.stringify(win))).toEqual({ trades: 4, wins: 2, losses: 1, winSum: "3", lossSum: "1.0" });
    expect(addTrade(addTrade(stored, D("0")), D("0.5"))).toEqual(JSON.parse(JSON.stringify(win)));
  });
});
