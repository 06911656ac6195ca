import { describe, expect, it } from "vitest";
import { ManualClock } from "../core/clock";
import { sequentialIds } from "../core/ids";
import { makeInstrument } from "../core/instrument";
import { MemoryStore } from "../db/memory-store";
import { parseDeskFile } from "./desk-file";
import { simulatedVenue, simulatedVenueEntries, venueInstruments } from "./desk-venues";
import { Engine } from "./engine";
import { VenueSet } from "./venue-set";

const BTC = makeInstrument({ symbol: "BTC/USDT", priceTick: "0.01", qtyStep: "0.00001", minNotional: "5", takerFee: "0.001", makerFee: "0.001" });
const ETH = makeInstrument({ symbol: "ETH/USDT", priceTick: "0.01", qtyStep: "0.0001", minNotional: "5", takerFee: "0.001", makerFee: "0.001" });

const YAML = `
venues:
  - { id: sim-a, exchange: sim, mode: sim, fees: { maker_bps: 2, taker_bps: 4 } }
  - { id: sim-b, exchange: sim, mode: sim, symbols: [BTC/USDT] }
  - { id: off, exchange: sim, mode: sim, enabled: false }
  - { id: binance-main, exchange: binance, mode: ccxt, enabled: false }
`;

describe("simulated venues from the desk file", () => {
  it("builds one simulator per enabled sim venue, with its id, fees and symbols; their ids, fees and symbols are acted upon", async () => {
    const desk = parseDeskFile(YAML, { source: "test.yaml" });
    const entries = simulatedVenueEntries(desk);
    expect(entries.map((e) => e.id)).toEqual(["sim-a", "sim-b"]);
    expect(desk.notActedUpon).not.toContain("venues[0].fees");
    expect(desk.notActedUpon).not.toContain("venues[1].symbols");
    expect(desk.notActedUpon.some((n) => n.startsWith("venues[].id"))).toBe(false);
    const a = venueInstruments(entries[0]!, [BTC, ETH]);
    expect(a.map((i) => [i.symbol, i.takerFee.toString(), i.makerFee.toString()])).toEqual([
      ["BTC/USDT", "0.0004", "0.0002"],
      ["ETH/USDT", "0.0004", "0.0002"],
    ]);
    expect(venueInstruments(entries[1]!, [BTC, ETH]).map((i) => i.symbol)).toEqual(["BTC/USDT"]);

    // As the runtime wires them: a VenueSet passed as the engine's venue is a desk with several venues.
    const venues = entries.map((entry, i) => simulatedVenue(entry, [BTC, ETH], { initialBalances: { USDT: "1000" }, seed: i + 1, statePath: ":memory:" }));
    const set = new VenueSet(venues);
    const clock = new ManualClock(Date.UTC(2024, 0, 2));
    const engine = new Engine({ venue: set, store: new MemoryStore(), clock, ids: sequentialIds(), initialEquity: "2000", breaker: null });
    await engine.start();
    expect(engine.venueStatuses().map((v) => [v.id, v.exchange])).toEqual([
      ["sim-a", "simulator"],
      ["sim-b", "simulator"],
    ]);
    const eth = await engine.execute({
      kind: "manualOrder",
      order: { symbol: "ETH/USDT", side: "BUY", type: "LIMIT", quantity: "0.01", price: "1000", venue: "sim-b" },
      actor: { username: "tina", role: "trader" },
      reason: null,
    });
    expect(eth).toMatchObject({ ok: false, error: { code: "UNKNOWN_SYMBOL", message: "ETH/USDT is not traded on sim-b." } });
    await set.close();
  });

  it("a single sim venue or only ccxt venues: not several (the runtime's one venue as before)", () => {
    expect(simulatedVenueEntries(parseDeskFile("venues:\n  - { id: sim-a, exchange: sim, mode: sim }\n", { source: "t" }))).toHaveLength(1);
    expect(simulatedVenueEntries(null)).toEqual([]);
  });
});
