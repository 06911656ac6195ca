/**
 * The price-watching protections per (venue, symbol) on a desk with several venues: stale data follows the venue a
 * position lives on (or an entry goes to), not the first venue that quoted the symbol; a flash move is one venue's own
 * series moving. A routed entry is held by a stale-data lock only when every venue listing the symbol is silent.
 */
import { describe, expect, it } from "vitest";
import { ManualClock } from "../core/clock";
import { sequentialIds } from "../core/ids";
import { makeInstrument } from "../core/instrument";
import type { ProtectionFiring, ProtectionSettingsInput } from "../core/protection";
import { MemoryStore } from "../db/memory-store";
import { SimVenue } from "../venues/sim/sim-venue";
import { Engine } from "./engine";
import type { Signal } from "./types";

const BTC = makeInstrument({
  symbol: "BTC/USDT",
  priceTick: "0.01",
  qtyStep: "0.00001",
  minQty: "0.00001",
  minNotional: "5",
  makerFee: "0",
  takerFee: "0",
});
const T0 = Date.UTC(2024, 0, 2, 12, 0, 0);
const STALE: ProtectionSettingsInput = { staleData: { maxSilenceSeconds: 30, action: "LOCK_SYMBOL", lockMinutes: 60 } };

function desk(protections: ProtectionSettingsInput) {
  const clock = new ManualClock(T0);
  const venues = ["sim-a", "sim-b"].map((id) => new SimVenue({ instruments: [BTC], initialBalances: { USDT: "10000" } }, { id }));
  const engine = new Engine({
    venues,
    store: new MemoryStore(),
    clock,
    ids: sequentialIds(),
    initialEquity: "20000",
    breaker: null,
    protections,
    defaultSymbolSettings: { minConfidence: 0.5, sizing: { method: "fixed_fraction", fraction: 0.1 }, stopLossPct: null, takeProfitLevels: [], trailing: null },
  });
  const firings: ProtectionFiring[] = [];
  engine.bus.subscribe((e) => {
    if (e.type === "protection") firings.push(e.firing);
  });
  return { engine, clock, firings };
}
type Desk = ReturnType<typeof desk>;

async function quote(d: Desk, venue: string, ask: number, advanceMs = 1000): Promise<void> {
  d.clock.advance(advanceMs);
  await d.engine.marketData({ kind: "quote", symbol: "BTC/USDT", bid: ask - 1, ask, venue });
}

let n = 0;
const buy = (d: Desk, venue?: string) => {
  const signal: Signal = { id: `sig-${++n}`, symbol: "BTC/USDT", action: "BUY", confidence: 0.8, strategy: `s${n}`, ts: T0, ...(venue && { venue }) };
  return d.engine.execute({ kind: "signal", signal, source: "test" });
};

/** sim-a quoted first (the symbol's reference venue), then only sim-b quotes for `seconds`, ticking as it goes. */
async function onlySimBQuotes(d: Desk, seconds: number): Promise<void> {
  for (let s = 0; s < seconds; s += 5) {
    await quote(d, "sim-b", 20000, 5000);
    await d.engine.tick();
  }
}

describe("protections per (venue, symbol)", () => {
  it("stale data: the first venue to quote going silent does not fire for a position on a venue still quoting", async () => {
    const d = desk(STALE);
    await d.engine.start();
    await quote(d, "sim-a", 20000);
    await quote(d, "sim-b", 20000);
    expect(await buy(d, "sim-b")).toMatchObject({ ok: true });
    await onlySimBQuotes(d, 60);
    expect(d.firings).toEqual([]);
    expect(await buy(d, "sim-b")).toMatchObject({ ok: true });
  });

  it("stale data: a position on the silent venue fires; the lock holds entries there, not at the venue still quoting", async () => {
    const d = desk(STALE);
    await d.engine.start();
    await quote(d, "sim-a", 20000);
    await quote(d, "sim-b", 20000);
    expect(await buy(d, "sim-a")).toMatchObject({ ok: true });
    await onlySimBQuotes(d, 60);
    expect(d.firings.map((f) => [f.rule, f.scope, f.message.includes("BTC/USDT at sim-a")])).toEqual([
      ["STALE_DATA", { kind: "symbol", symbol: "BTC/USDT" }, true],
    ]);
    const refused = await buy(d, "sim-a");
    expect(refused).toMatchObject({ ok: false, error: { code: "PROTECTION_LOCK" } });
    expect(await buy(d, "sim-b")).toMatchObject({ ok: true });
    // Routed (no venue named): held only when every venue listing the symbol is silent, and sim-b quotes.
    expect(await buy(d)).toMatchObject({ ok: true });
    // Once sim-a quotes again, entries there pass too.
    await quote(d, "sim-a", 20000);
    expect(await buy(d, "sim-a")).toMatchObject({ ok: true });
  });

  it("a flash move at one venue is seen even when it is not the first venue to quote the symbol", async () => {
    const d = desk({ flashMove: { movePct: 3, windowSeconds: 300, action: "LOCK_SYMBOL", lockMinutes: 60 } });
    await d.engine.start();
    await quote(d, "sim-a", 20000);
    await quote(d, "sim-b", 20000);
    await quote(d, "sim-b", 21000); // +5 % at sim-b; sim-a flat
    expect(d.firings.map((f) => [f.rule, f.message.startsWith("BTC/USDT at sim-b rose")])).toEqual([["FLASH_MOVE", true]]);
    expect(await buy(d, "sim-a")).toMatchObject({ ok: false, error: { code: "PROTECTION_LOCK" } });
  });
});
