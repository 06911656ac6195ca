import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { D, Decimal } from "../money";
import { decideLegRisk, detectArbitrage, roundTripPnl, type ArbLeg, type ArbQuote, type ArbSettings, type LegRiskInput } from "./arbitrage";

const DIR = "/work/shared/data/market/cross-venue/";
const FIVE_MIN = 300_000;

interface Bar {
  ts: number;
  high: number;
  low: number;
  volume: number;
}

function loadBars(file: string): Map<number, Bar> {
  const bars = new Map<number, Bar>();
  for (const line of readFileSync(DIR + file, "utf8")
    .trim()
    .split("\n")
    .slice(1)) {
    const [ts, , high, low, , volume] = line.split(",").map(Number);
    bars.set(ts!, { ts: ts!, high: high!, low: low!, volume: volume! });
  }
  return bars;
}

/** Binance.US 1-minute bars rolled into Kraken's 5-minute grid. */
function toFiveMinutes(bars: Map<number, Bar>): Map<number, Bar> {
  const out = new Map<number, Bar>();
  for (const bar of bars.values()) {
    const start = bar.ts - (bar.ts % FIVE_MIN);
    const acc = out.get(start);
    if (!acc) out.set(start, { ...bar, ts: start });
    else out.set(start, { ts: start, high: Math.max(acc.high, bar.high), low: Math.min(acc.low, bar.low), volume: acc.volume + bar.volume });
  }
  return out;
}

const settings: ArbSettings = {
  thresholdBps: D("10"),
  slippageBps: D("2"),
  legs: "taker-taker",
  maxQty: D("0.5"),
  maxQuoteAgeMs: 1_000,
  qtyStep: D("0.00001"),
  minQty: D("0.00001"),
  minNotional: D("10"),
};
const rich = { binanceus: { base: D("10"), quote: D("1000000") }, kraken: { base: D("10"), quote: D("1000000") } };

/**
 * Bars carry no bid/ask, so each side is priced at the worst the bar allows: a buy at its high, a sell at its low.
 * That is conservative (a real touch is inside the bar's range), so what it still finds is real and what it skips
 * includes the closes' timing noise between a 1-minute and a 5-minute venue.
 */
function scan(binanceFile: string, krakenFile: string): { ts: number; buyVenue: string; netBps: Decimal }[] {
  const binance = toFiveMinutes(loadBars(binanceFile));
  const kraken = loadBars(krakenFile);
  const found: { ts: number; buyVenue: string; netBps: Decimal }[] = [];
  for (const [ts, k] of kraken) {
    const b = binance.get(ts);
    if (!b || b.volume <= 0 || k.volume <= 0) continue;
    const quote = (venue: string, bar: Bar, fee: string): ArbQuote => ({
      venue,
      bid: D(bar.low),
      ask: D(bar.high),
      bidSize: null,
      askSize: null,
      takerFee: D(fee),
      makerFee: D(fee),
      ts,
    });
    const decision = detectArbitrage(quote("binanceus", b, "0.001"), quote("kraken", k, "0.0026"), rich, settings, ts);
    if (decision.kind === "opportunity") found.push({ ts, buyVenue: decision.buyVenue, netBps: decision.netBps });
  }
  return found;
}

const day = (ts: number) => new Date(ts).toISOString().slice(0, 10);

describe("arbitrage detector on the recorded cross-venue data (2023-03-01 → 03-21)", () => {
  it("finds the USDC de-peg: BTC/USDC on Binance.US over BTC/USD on Kraken from 2023-03-11", () => {
    const found = scan("btc-usdc_1m_binanceus_2023-03-01_2023-03-21.csv", "btc-usd_5m_kraken_2023-01-01_2023-03-31.csv");
    const days = new Set(found.map((f) => day(f.ts)));
    expect(days.has("2023-03-11")).toBe(true);
    expect([...days].every((d) => d >= "2023-03-11" && d <= "2023-03-13")).toBe(true);
    // The cheap side is BTC in dollars on Kraken; it sells for USDC on Binance.US.
    expect(found.every((f) => f.buyVenue === "kraken")).toBe(true);
    const best = found.reduce((max, f) => Decimal.max(max, f.netBps), D(0));
    expect(best.greaterThan(300)).toBe(true);
    expect(found.filter((f) => day(f.ts) === "2023-03-11").length).toBeGreaterThan(50);
  });

  it.each([
    ["BTC/USDT", "btc-usdt_1m_binanceus_2023-03-01_2023-03-21.csv", "btc-usdt_5m_kraken_2023-01-01_2023-03-31.csv"],
    ["BTC/USD", "btc-usd_1m_binanceus_2023-03-01_2023-03-21.csv", "btc-usd_5m_kraken_2023-01-01_2023-03-31.csv"],
  ])("does not trade the noise between the venues on %s over three weeks", (_symbol, binanceFile, krakenFile) => {
    expect(scan(binanceFile, krakenFile)).toEqual([]);
  });
});

describe("arbitrage detector", () => {
  const quote = (venue: string, bid: string, ask: string, over: Partial<ArbQuote> = {}): ArbQuote => ({
    venue,
    bid: D(bid),
    ask: D(ask),
    bidSize: D("2"),
    askSize: D("2"),
    takerFee: D("0.001"),
    makerFee: D("0.0002"),
    ts: 0,
    ...over,
  });

  const funded = { a: { base: D("10"), quote: D("1000000") }, b: { base: D("10"), quote: D("1000000") } };

  it.each<[string, string, string, string]>([
    ["+10 bps", "20020", "20021", "BELOW_THRESHOLD"],
    ["-10 bps", "19979", "19980", "BELOW_THRESHOLD"],
    ["+30 bps", "20060", "20061", "BELOW_THRESHOLD"], // 30 gross − 20 fees − 4 slippage = 6 net
    ["+60 bps", "20120", "20121", "opportunity"],
  ])("a spread of %s over 20000/20001 after fees: %s", (_name, bid, ask, expected) => {
    const decision = detectArbitrage(quote("a", "20000", "20001"), quote("b", bid, ask), funded, settings, 0);
    expect(decision.kind === "opportunity" ? "opportunity" : decision.code).toBe(expected);
  });

  it("sizes the trade by the touch, the balances and the maximum, and says which bound it", () => {
    const balances = { a: { base: D("0"), quote: D("10000") }, b: { base: D("5"), quote: D("0") } };
    const decision = detectArbitrage(quote("a", "20000", "20001"), quote("b", "20200", "20201"), balances, settings, 0);
    expect(decision).toMatchObject({ kind: "opportunity", buyVenue: "a", sellVenue: "b", buyPrice: D("20001"), sellPrice: D("20200") });
    if (decision.kind !== "opportunity") throw new Error("expected an opportunity");
    // 10,000 USDT at 20001 × 1.0012 per BTC.
    expect(decision.qty.toString()).toBe("0.49937"); // 0.4993687… down to the step
    expect(decision.reason).toMatch(/a quote balance/);
    expect(decision.expectedProfit.greaterThan(0)).toBe(true);
  });

  it.each<[string, ArbQuote, string]>([
    ["a venue down", quote("b", "20200", "20201", { unavailable: "unreachable" }), "VENUE_UNAVAILABLE"],
    ["a stale quote", quote("b", "20200", "20201", { ts: -5_000 }), "STALE_QUOTE"],
    ["a crossed quote", quote("b", "20202", "20201"), "INVALID_QUOTE"],
  ])("skips %s", (_name, other, code) => {
    expect(detectArbitrage(quote("a", "20000", "20001"), other, funded, settings, 0)).toMatchObject({ kind: "skip", code });
  });

  it("maker-taker rests the buy at the bid with the maker fee and no slippage", () => {
    // Sell 20100 × 0.9988 = 20075.88. Taker-taker buys at 20001 × 1.0012 (+25.4 bps net); maker-taker at 20000 × 1.0002 (+35.9).
    const taker = detectArbitrage(quote("a", "20000", "20001"), quote("b", "20100", "20101"), funded, settings, 0);
    const maker = detectArbitrage(quote("a", "20000", "20001"), quote("b", "20100", "20101"), funded, { ...settings, legs: "maker-taker" }, 0);
    if (taker.kind !== "opportunity" || maker.kind !== "opportunity") throw new Error("expected two opportunities");
    expect(maker.buyPrice.toString()).toBe("20000");
    expect(maker.netBps.toDecimalPlaces(1).toString()).toBe("35.9");
    expect(taker.netBps.toDecimalPlaces(1).toString()).toBe("25.4");
  });

  it("skips when the balance cannot pay for the minimum", () => {
    const poor = { a: { base: D("0"), quote: D("5") }, b: { base: D("5"), quote: D("0") } };
    expect(detectArbitrage(quote("a", "20000", "20001"), quote("b", "20200", "20201"), poor, settings, 0)).toMatchObject({ kind: "skip", code: "TOO_SMALL" });
  });
});

describe("leg risk", () => {
  const leg = (venue: string, side: "BUY" | "SELL", filled: string, status: ArbLeg["status"]): ArbLeg => ({
    venue,
    side,
    targetQty: D("1"),
    filledQty: D(filled),
    status,
  });
  const base: Omit<LegRiskInput, "buy" | "sell"> = {
    openedAt: 0,
    now: 1_000,
    legTimeoutMs: 5_000,
    policy: "hedge",
    attempted: [],
    venuesDown: [],
    minQty: D("0.0001"),
  };

  it.each<[string, Partial<LegRiskInput>, string, unknown]>([
    ["both working in time", { buy: leg("a", "BUY", "0", "working"), sell: leg("b", "SELL", "0", "working") }, "wait", { until: 5_000 }],
    ["one working too long", { buy: leg("a", "BUY", "1", "filled"), sell: leg("b", "SELL", "0.3", "working"), now: 6_000 }, "cancel", { venues: ["b"] }],
    ["the other failed while one works", { buy: leg("a", "BUY", "0.2", "working"), sell: leg("b", "SELL", "0", "failed") }, "cancel", { venues: ["a"] }],
    ["both filled", { buy: leg("a", "BUY", "1", "filled"), sell: leg("b", "SELL", "1", "filled") }, "balanced", {}],
    [
      "sell leg partly filled: hedge the rest on its venue",
      { buy: leg("a", "BUY", "1", "filled"), sell: leg("b", "SELL", "0.3", "cancelled") },
      "repair",
      { repair: "hedge", order: { venue: "b", side: "SELL", qty: D("0.7"), type: "MARKET" } },
    ],
    [
      "unwind policy reverses the excess",
      { buy: leg("a", "BUY", "1", "filled"), sell: leg("b", "SELL", "0.3", "cancelled"), policy: "unwind" },
      "repair",
      { repair: "unwind", order: { venue: "a", side: "SELL", qty: D("0.7"), reduceOnly: true } },
    ],
    [
      "hedge venue down: unwind instead",
      { buy: leg("a", "BUY", "0", "failed"), sell: leg("b", "SELL", "1", "filled"), venuesDown: ["a"] },
      "repair",
      { repair: "unwind", order: { venue: "b", side: "BUY", qty: D("1") } },
    ],
    [
      "hedge tried and failed: unwind",
      { buy: leg("a", "BUY", "1", "filled"), sell: leg("b", "SELL", "0", "failed"), attempted: ["hedge"] },
      "repair",
      { repair: "unwind" },
    ],
    [
      "both tried: a person decides",
      { buy: leg("a", "BUY", "1", "filled"), sell: leg("b", "SELL", "0", "failed"), attempted: ["hedge", "unwind"] },
      "escalate",
      {},
    ],
    ["dust left is recorded, not traded", { buy: leg("a", "BUY", "1", "filled"), sell: leg("b", "SELL", "0.99995", "cancelled") }, "balanced", {}],
  ])("%s", (_name, over, kind, shape) => {
    const action = decideLegRisk({ ...base, buy: leg("a", "BUY", "0", "working"), sell: leg("b", "SELL", "0", "working"), ...over });
    expect(action.kind).toBe(kind);
    expect(action).toMatchObject(shape as object);
    expect(action.reason).not.toBe("");
  });

  it("round-trip PnL on the matched quantity net of fees", () => {
    expect(roundTripPnl({ qty: D("1"), avgPrice: D("20000"), fees: D("20") }, { qty: D("1"), avgPrice: D("20200"), fees: D("52.52") }).toString()).toBe(
      "127.48",
    );
  });
});
