/**
 * The sizing methods offered in the settings beyond the fixed ones: kelly (from the strategy's own record of closed
 * trades, with a fallback until it has enough), atr (from the desk's market history) and expectedReturn scaling. The
 * desk: 100 000 USDT, BTC at 20 000 (ask 20 000.5), qty step 0.00001.
 */
import { resultMessage } from "./context";
import { afterEach, describe, expect, it } from "vitest";
import { MarketHistory } from "../core/market-history";
import { D, Decimal } from "../core/money";
import { openTestDesk, type TestDesk } from "../../test/desk-support";
import { STRATEGY_RECORDS_KEY } from "./sizing-methods";
import type { SymbolSettingsInput } from "./settings";

let desk: TestDesk;
afterEach(async () => {
  await desk.close();
});

const ASK = D("20000.5");
/** equity × fraction / ask, rounded down to the step: what fixed-fraction style sizing buys. */
const sharesOf = (fraction: number | string, equity = "100000") => D(equity).times(fraction).dividedBy(ASK).toDecimalPlaces(5, Decimal.ROUND_DOWN).toFixed();

async function deskWith(settings: Partial<SymbolSettingsInput>, extra: { marketHistory?: MarketHistory } = {}) {
  desk = await openTestDesk({
    engine: {
      defaultSymbolSettings: { minConfidence: 0.5, stopLossPct: null, takeProfitLevels: [], trailing: null, maxAgeMinutes: null, ...settings },
      ...(extra.marketHistory && { marketHistory: extra.marketHistory }),
    },
  });
  return desk;
}

async function entryQty(extra: Parameters<TestDesk["trySignal"]>[1] = {}): Promise<string> {
  const result = await desk.trySignal("BUY", extra);
  if (!result.ok) return `${result.error.code}`;
  return desk.store.getOrder(result.clientOrderId!)!.order.quantity.toFixed();
}

const tally = (trades: number, wins: number, winSum: string, losses: number, lossSum: string) => ({ trades, wins, losses, winSum, lossSum });

describe("kelly sizing", () => {
  const kelly = { method: "kelly" as const, multiplier: 0.5, maxFraction: 0.25, minTrades: 10, fallbackFraction: 0.05 };

  it.each([
    { name: "no record yet: the fallback fraction", record: null, want: sharesOf("0.05") },
    { name: "9 of 10 trades: still the fallback", record: tally(9, 6, "12", 3, "3"), want: sharesOf("0.05") },
    { name: "10 trades but no loss yet: no payoff ratio, the fallback", record: tally(10, 10, "20", 0, "0"), want: sharesOf("0.05") },
    // W 0.6, R (12/6)/(4/4) = 2 → f* = 0.6 − 0.4/2 = 0.4; half Kelly 0.2 (under the 0.25 cap)
    { name: "win rate 0.6, payoff 2: half of f* 0.4", record: tally(10, 6, "12", 4, "4"), want: sharesOf("0.2") },
    // W 0.8, R 3 → f* = 0.8 − 0.2/3 ≈ 0.733; half ≈ 0.367, capped at 0.25
    { name: "a strong record is capped at maxFraction", record: tally(10, 8, "24", 2, "2"), want: sharesOf("0.25") },
    // W 0.3, R 1 → f* = −0.4: no edge, no position
    { name: "no edge: refused", record: tally(10, 3, "3", 7, "7"), want: "NO_EDGE" },
  ])("$name", async ({ record, want }) => {
    await deskWith({ sizing: kelly });
    if (record) desk.store.setState(STRATEGY_RECORDS_KEY, { test: record, other: tally(50, 50, "100", 0, "0") });
    expect(await entryQty()).toBe(want);
  });

  it("closed trades build the strategy's record in the store, with the trade; a strategy without a record sizes by the fallback", async () => {
    await deskWith({ sizing: { ...kelly, minTrades: 2 } });
    await desk.signal("BUY");
    await desk.quote(21000);
    await desk.signal("CLOSE");
    await desk.signal("BUY");
    await desk.quote(20000);
    await desk.signal("CLOSE");
    const record = desk.store.getState<Record<string, { trades: number; wins: number; losses: number }>>(STRATEGY_RECORDS_KEY);
    expect(record).toMatchObject({ test: { trades: 2, wins: 1, losses: 1 } });
    expect(await desk.tdb.client.trade.count({ where: { strategy: "test" } })).toBe(2);
    // Another strategy has no record: it still sizes by the fallback.
    const equity = desk.engine.state().equity.equity.toFixed();
    expect(await entryQty({ strategy: "fresh" })).toBe(sharesOf("0.05", equity));
  });
});

describe("atr sizing", () => {
  const history = (bars: number, range: number) => {
    const h = new MarketHistory({ barMs: 300_000, maxBars: 100 });
    for (let i = 0; i < bars; i++) h.addCandle("BTC/USDT", { ts: i * 300_000, open: 20_000, high: 20_000 + range / 2, low: 20_000 - range / 2, close: 20_000 });
    return h;
  };

  it.each([
    // every true range 200 → ATR 200; stop 2 × 200 = 400 away; 0.1 % of 100 000 risked → 100 / 400 = 0.25 BTC
    { name: "ATR 200, 2 × ATR stop, 0.1 % risk", bars: 15, range: 200, want: "0.25" },
    { name: "a calmer market sizes bigger: ATR 100", bars: 15, range: 100, want: "0.5" },
    { name: "too few bars: refused in words", bars: 10, range: 200, want: "NO_ATR" },
  ])("$name", async ({ bars, range, want }) => {
    await deskWith({ sizing: { method: "atr", riskFraction: 0.001, atrMultiple: 2, period: 14 } }, { marketHistory: history(bars, range) });
    expect(await entryQty()).toBe(want);
  });

  it("without a market history the refusal says what is missing", async () => {
    await deskWith({ sizing: { method: "atr", riskFraction: 0.01 } });
    const result = await desk.trySignal("BUY");
    expect(result).toMatchObject({ ok: false, error: { code: "NO_ATR" } });
    expect(resultMessage(result)).toMatch(/needs 15 bars of BTC\/USDT's market history, and there are 0/);
  });
});

describe("expectedReturn scales the size where a setting asks", () => {
  const base = { sizing: { method: "fixed_fraction" as const, fraction: 0.1 } };

  it.each([
    { name: "no setting: expectedReturn is ignored", scaling: undefined, expectedReturn: 0.05, want: sharesOf("0.1") },
    // The method's size (0.49998) is scaled, then rounded down to the step again.
    { name: "half the reference: half the size", scaling: { reference: 0.02, maxMultiplier: 2 }, expectedReturn: 0.01, want: "0.24999" },
    { name: "five times the reference: capped at × maxMultiplier", scaling: { reference: 0.02, maxMultiplier: 2 }, expectedReturn: 0.1, want: "0.99996" },
    { name: "no expectedReturn on the signal: unchanged", scaling: { reference: 0.02 }, expectedReturn: null, want: sharesOf("0.1") },
    { name: "expects a loss: refused", scaling: { reference: 0.02 }, expectedReturn: -0.01, want: "NO_EXPECTED_RETURN" },
  ])("$name", async ({ scaling, expectedReturn, want }) => {
    await deskWith({ ...base, ...(scaling && { expectedReturnScaling: scaling }) });
    expect(await entryQty({ expectedReturn })).toBe(want);
  });
});
