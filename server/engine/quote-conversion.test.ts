/**
 * Equity in the desk's quote currency when positions are quoted in others: a BTC-quoted pair's PnL converted at the
 * BTC/USDT mark, a USDC pair's at a configured peg (or a USDC/USDT mark when there is one), and a currency with neither
 * left out and listed as unconverted — never summed 1:1. Exact Decimal arithmetic throughout.
 */
import { describe, expect, it } from "vitest";
import { ManualClock } from "../core/clock";
import { sequentialIds } from "../core/ids";
import { makeInstrument } from "../core/instrument";
import { D } from "../core/money";
import { MemoryStore } from "../db/memory-store";
import { SimVenue } from "../venues/sim/sim-venue";
import { Engine, type EngineOptions } from "./engine";
import { DEFAULT_RISK_LIMITS } from "./settings";
import type { Actor } from "./types";

const rules = { priceTick: "0.000001", qtyStep: "0.001", minQty: "0.001", minNotional: "0.0001", makerFee: "0", takerFee: "0" };
const BTCUSDT = makeInstrument({ ...rules, symbol: "BTC/USDT", priceTick: "0.01" });
const ETHBTC = makeInstrument({ ...rules, symbol: "ETH/BTC" });
const SOLUSDC = makeInstrument({ ...rules, symbol: "SOL/USDC", priceTick: "0.01" });
const T0 = Date.UTC(2024, 0, 2, 12, 0, 0);
const trader: Actor = { username: "tina", role: "trader" };

function desk(
  options: Partial<EngineOptions> = {},
  store = new MemoryStore(),
  venue = new SimVenue({ instruments: [BTCUSDT, ETHBTC, SOLUSDC], initialBalances: { USDT: "100000", BTC: "10", USDC: "100000" } }),
) {
  const clock = new ManualClock(T0);
  const engine = new Engine({
    venue,
    store,
    clock,
    ids: sequentialIds(),
    initialEquity: "100000",
    quoteCurrency: "USDT",
    breaker: null,
    protections: null,
    // The gate's minimum notional is in the desk's quote: a BTC-quoted order of 0.1 BTC is not 0.1 USDT (not this test's concern).
    riskLimits: { ...DEFAULT_RISK_LIMITS, minNotional: "0.01" },
    // No exit rules: the prices below move far, and no take-profit is to close anything here.
    defaultSymbolSettings: { stopLossPct: null, takeProfitLevels: [], trailing: null, maxAgeMinutes: null },
    ...options,
  });
  return { engine, store, clock, venue };
}

type Desk = ReturnType<typeof desk>;

/** A quote with a spread of one tick: the mark is the mid. */
async function quote(d: Desk, symbol: string, bid: string, ask: string): Promise<void> {
  d.clock.advance(1000);
  await d.engine.marketData({ kind: "quote", symbol, bid: Number(bid), ask: Number(ask) });
}

/** The open position (the simulator's fill: slippage and partial fills included) and its symbol's mark. */
function held(d: Desk, symbol: string) {
  const state = d.engine.state();
  const found = state.positions.find((p) => p.position.symbol === symbol && p.position.quantity.greaterThan(0));
  if (!found) throw new Error(`no open ${symbol} position`);
  const { quantity, avgEntryPrice } = found.position;
  const mark = D(state.marks[symbol]!.last);
  return { quantity, mark, unrealized: mark.minus(avgEntryPrice!).times(quantity), exposure: quantity.times(mark) };
}

/** A symbol's mark as the engine holds it (a mid of two float prices). */
function markOf(d: Desk, symbol: string) {
  return D(d.engine.state().marks[symbol]!.last);
}

async function buy(d: Desk, symbol: string, quantity: string): Promise<void> {
  const result = await d.engine.execute({ kind: "manualOrder", order: { symbol, side: "BUY", type: "MARKET", quantity }, actor: trader, reason: null });
  expect(result, JSON.stringify(result)).toMatchObject({ ok: true });
}

async function sell(d: Desk, symbol: string, quantity: string): Promise<void> {
  const result = await d.engine.execute({
    kind: "manualOrder",
    order: { symbol, side: "SELL", type: "MARKET", quantity, reduceOnly: true },
    actor: trader,
    reason: null,
  });
  expect(result, JSON.stringify(result)).toMatchObject({ ok: true });
}

describe("equity across quote currencies", () => {
  it("converts a BTC-quoted position's PnL and exposure at the BTC/USDT mark", async () => {
    const d = desk();
    await d.engine.start();
    await quote(d, "BTC/USDT", "20000", "20000.02"); // mark 20000.01
    await quote(d, "ETH/BTC", "0.05", "0.050002");
    await buy(d, "ETH/BTC", "2");
    await quote(d, "ETH/BTC", "0.06", "0.060002"); // mark 0.060001
    const point = d.engine.equity();
    // Unrealized in BTC (quantity × (mark − entry)), at the BTC/USDT mark.
    const eth = held(d, "ETH/BTC");
    expect(eth.unrealized.greaterThan(0)).toBe(true);
    const btc = markOf(d, "BTC/USDT");
    expect(point.unrealized.toString()).toBe(eth.unrealized.times(btc).toString());
    expect(point.exposure.toString()).toBe(eth.exposure.times(btc).toString());
    expect(point.equity.toString()).toBe(D("100000").plus(eth.unrealized.times(btc)).toString());
    expect(point.unconverted).toBeUndefined();
    // The rates the Risk page converts at (the same as equity's).
    expect(d.engine.state().symbolRates).toEqual({ "BTC/USDT": "1", "ETH/BTC": btc.toString(), "SOL/USDC": null });
    // BTC moves, ETH/BTC does not: the same BTC profit is worth more USDT.
    await quote(d, "BTC/USDT", "30000", "30000.02");
    expect(d.engine.equity().unrealized.toString()).toBe(eth.unrealized.times(markOf(d, "BTC/USDT")).toString());
  });

  it("a realized BTC profit stays in BTC: converted at the current mark, and kept across a restart", async () => {
    const store = new MemoryStore();
    const d = desk({}, store);
    await d.engine.start();
    await quote(d, "BTC/USDT", "20000", "20000.02");
    await quote(d, "ETH/BTC", "0.05", "0.050002");
    await buy(d, "ETH/BTC", "1");
    await quote(d, "ETH/BTC", "0.06", "0.060002");
    await sell(d, "ETH/BTC", held(d, "ETH/BTC").quantity.toString());
    expect(d.engine.state().positions.filter((p) => p.position.quantity.greaterThan(0))).toHaveLength(0);
    // What the trade made, in BTC (fees are zero here).
    const trade = d.store.listTrades()[0]!;
    const inBtc = D(trade.pnl);
    expect(inBtc.greaterThan("0.009")).toBe(true);
    expect(d.engine.equity().realizedNet.toString()).toBe(inBtc.times(markOf(d, "BTC/USDT")).toString());
    await quote(d, "BTC/USDT", "25000", "25000.02");
    expect(d.engine.equity().equity.toString()).toBe(
      D("100000")
        .plus(inBtc.times(markOf(d, "BTC/USDT")))
        .toString(),
    );

    // A restart reads the BTC sum back (a USDT sum would have lost the currency).
    const again = desk({}, store);
    await again.engine.start();
    await quote(again, "BTC/USDT", "25000", "25000.02");
    expect(again.engine.equity().realizedNet.toString()).toBe(inBtc.times(markOf(again, "BTC/USDT")).toString());
  });

  it("a pegged currency without a mark converts at the configured fixed rate; a USDC/USDT mark wins over it", async () => {
    const d = desk({ conversionRates: { USDC: "0.999" } });
    await d.engine.start();
    await quote(d, "SOL/USDC", "100", "100.02");
    await buy(d, "SOL/USDC", "10");
    await quote(d, "SOL/USDC", "110", "110.02"); // mark 110.01
    // quantity × (mark − entry) USDC, at 0.999.
    const inUsdc = held(d, "SOL/USDC").unrealized;
    expect(d.engine.equity().unrealized.toString()).toBe(inUsdc.times("0.999").toString());
    // A conversion mark appears: the market's rate is used, not the peg.
    d.clock.advance(1000);
    await d.engine.marketData({ kind: "trade", symbol: "USDC/USDT", price: 1.0005, qty: 1000 });
    expect(d.engine.equity().unrealized.toString()).toBe(inUsdc.times("1.0005").toString());
  });

  it("a currency with no rate is left out of equity and listed as unconverted, never summed 1:1", async () => {
    // The USDC position was opened while the desk had a peg for USDC; it restarts without one.
    const pegged = desk({ conversionRates: { USDC: "1" } });
    await pegged.engine.start();
    await quote(pegged, "SOL/USDC", "100", "100.02");
    await buy(pegged, "SOL/USDC", "10");
    const d = desk({ ids: sequentialIds("b") }, pegged.store, pegged.venue);
    await d.engine.start();
    await quote(d, "BTC/USDT", "20000", "20000.02");
    await buy(d, "BTC/USDT", "0.5");
    await quote(d, "SOL/USDC", "110", "110.02");
    const point = d.engine.equity();
    // Only the BTC/USDT position counts.
    const inUsdt = held(d, "BTC/USDT").unrealized;
    expect(point.unrealized.toString()).toBe(inUsdt.toString());
    expect(point.exposure.toString()).toBe(held(d, "BTC/USDT").exposure.toString());
    expect(point.equity.toString()).toBe(D("100000").plus(inUsdt).toString());
    expect(point.unconverted).toHaveLength(1);
    expect(point.unconverted![0]!.currency).toBe("USDC");
    expect(point.unconverted![0]!.unrealized.toString()).toBe(held(d, "SOL/USDC").unrealized.toString());
    expect(point.unconverted![0]!.exposure.toString()).toBe(held(d, "SOL/USDC").exposure.toString());
    // The venue view says why its figures are missing.
    expect(d.engine.state().venues[0]!.conversionNote).toContain("USDC");
  });
});

describe("the gate and sizing across quote currencies", () => {
  it("weighs a BTC-quoted order in the desk's quote: the minimum notional is USDT, not BTC", async () => {
    const d = desk({ riskLimits: DEFAULT_RISK_LIMITS }); // minNotional 10 (USDT)
    await d.engine.start();
    await quote(d, "BTC/USDT", "20000", "20000.02");
    await quote(d, "ETH/BTC", "0.05", "0.050002");
    // 0.5 ETH ≈ 0.025 BTC ≈ 500 USDT: above 10 USDT (0.025 alone would be below it).
    await buy(d, "ETH/BTC", "0.5");
    // 0.001 ETH ≈ 0.00005 BTC ≈ 1 USDT: below.
    const small = await d.engine.execute({
      kind: "manualOrder",
      order: { symbol: "ETH/BTC", side: "BUY", type: "MARKET", quantity: "0.001" },
      actor: trader,
      reason: null,
    });
    expect(small).toMatchObject({ ok: false, error: { code: "MIN_NOTIONAL" } });
  });

  it("sizes a signal on a BTC-quoted symbol from the desk's equity converted into BTC", async () => {
    const d = desk({
      riskLimits: DEFAULT_RISK_LIMITS,
      defaultSymbolSettings: {
        minConfidence: 0.5,
        sizing: { method: "fixed_fraction", fraction: 0.1 },
        stopLossPct: null,
        takeProfitLevels: [],
        trailing: null,
        maxAgeMinutes: null,
      },
    });
    await d.engine.start();
    await quote(d, "BTC/USDT", "20000", "20000.02");
    await quote(d, "ETH/BTC", "0.05", "0.050002");
    const result = await d.engine.execute({
      kind: "signal",
      signal: { id: "s-1", symbol: "ETH/BTC", action: "BUY", confidence: 0.9, strategy: "x", ts: T0 },
      source: "test",
    });
    expect(result, JSON.stringify(result)).toMatchObject({ ok: true });
    const order = d.store.getOrder(result.ok ? (result.data?.clientOrderId as string) : "")!.order;
    // 10 % of 100000 USDT = 10000 USDT ≈ 0.49999975 BTC at 20000.01: about 10 ETH at 0.05 — not 200000 ETH (10000 "BTC").
    const btc = D("10000").dividedBy(markOf(d, "BTC/USDT"));
    const expected = btc.dividedBy(D("0.050002")).toDecimalPlaces(3, 1);
    expect(order.quantity.toString()).toBe(expected.toString());
  });

  it("refuses an entry in a currency it cannot convert, saying which", async () => {
    const d = desk({ riskLimits: DEFAULT_RISK_LIMITS });
    await d.engine.start();
    await quote(d, "SOL/USDC", "100", "100.02");
    const entry = await d.engine.execute({
      kind: "manualOrder",
      order: { symbol: "SOL/USDC", side: "BUY", type: "MARKET", quantity: "1" },
      actor: trader,
      reason: null,
    });
    expect(entry).toMatchObject({ ok: false, error: { code: "NO_CONVERSION_RATE" } });
    expect(entry.ok ? "" : entry.error.message).toContain("SOL/USDC is quoted in USDC, which has no mark or fixed rate into USDT");
  });
});
