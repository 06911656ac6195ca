/**
 * The runtime in PAPER mode from a desk file with two ccxt venues: binance-main reads the Binance-compatible test
 * server's public data and bitget-1 the Bitget-compatible one's, each a simulator of its own (no keys). Each venue's
 * feed is its own exchange's: the venues' marks differ as the exchanges' prices do, a routed buy goes to the cheaper
 * one, and each position is marked at its own venue's price. Waits on the engine's events, never on the clock.
 */
import { describe, expect, it } from "vitest";
import { Changes } from "../../test/ccxt/test-changes";
import { twoVenueDeskFile, twoVenueRuntime } from "../../test/two-venue-runtime";
import type { Engine } from "./engine";
import { ensureRuntime, runtimeState } from "./runtime";

/** Re-checked on every engine event (the bus), never on the clock. */
const changes = new Changes();
const waitFor = <T>(probe: () => T | null | undefined | false): Promise<T> => changes.until(probe, "the engine's state");

const deskFile = twoVenueDeskFile("  mode: paper\n  capital: 10000", "0.01");

describe("the runtime in PAPER mode with two ccxt venues from the desk file", { timeout: 90_000 }, () => {
  // The two exchanges quote BTC 1000 apart: one desk-wide feed could not show both.
  const servers = twoVenueRuntime({
    tmpPrefix: "bastion-paper-venues-",
    bitgetBtcBid: 29_000,
    deskFile,
    env: () => ({ BASTION_MARKET_TYPES: "spot", BASTION_POLL_MS: "250", BASTION_WEBSOCKETS: "off", BASTION_STRATEGY: "off" }),
  });

  it("polls each venue's own exchange: per-venue marks, a routed buy at the cheaper venue, each position at its venue's price", async () => {
    (globalThis as Record<string, unknown>).__bastionRuntime = undefined;
    const runtime = await ensureRuntime();
    expect(runtimeState().error).toBeNull();
    const engine: Engine = runtime!.engine;
    engine.bus.subscribe(() => setImmediate(changes.notify));
    expect(engine.venueStatuses().map((v) => v.id)).toEqual(["binance-main", "bitget-1"]);
    // A feed per (venue, symbol), each tagged with its venue.
    expect((runtime!.feedStatus().detail as { feeds: unknown[] }).feeds).toHaveLength(4);

    const marks = await waitFor(() => {
      const own = engine.state().venueMarks;
      const atBinance = own["binance-main"]?.["BTC/USDT"];
      const atBitget = own["bitget-1"]?.["BTC/USDT"];
      return atBinance !== undefined && atBitget !== undefined ? { atBinance, atBitget } : null;
    });
    expect(marks.atBinance).toBeGreaterThan(29_900);
    expect(marks.atBitget).toBeLessThan(29_100);

    const signal = (id: string, strategy: string, venue?: string) =>
      engine.execute({
        kind: "signal",
        signal: { id, symbol: "BTC/USDT", action: "BUY", confidence: 0.9, strategy, ts: Date.now(), ...(venue !== undefined && { venue }) },
        source: "test",
      });
    const routed = await signal("pv-1", "routed");
    expect(routed, JSON.stringify(routed)).toMatchObject({ ok: true });
    const named = await signal("pv-2", "named", "binance-main");
    expect(named, JSON.stringify(named)).toMatchObject({ ok: true });
    const positions = await waitFor(() => {
      const open = engine.state().positions.filter((p) => p.position.quantity.greaterThan(0));
      return open.length === 2 ? open : null;
    });
    const routedPosition = positions.find((p) => p.strategy === "routed")!;
    const namedPosition = positions.find((p) => p.strategy === "named")!;
    expect(routedPosition.venue).toBe("bitget-1");
    expect(namedPosition.venue).toBe("binance-main");
    // Filled from each venue's own book, and marked at it.
    expect(routedPosition.position.avgEntryPrice!.toNumber()).toBeLessThan(29_100);
    expect(namedPosition.position.avgEntryPrice!.toNumber()).toBeGreaterThan(29_900);
    expect(routedPosition.mark).toBeLessThan(29_100);
    expect(namedPosition.mark).toBeGreaterThan(29_900);
    // Paper: nothing reached either exchange's account.
    expect(servers.binance.account.allTrades()).toHaveLength(0);
    expect(servers.bitget.account.allTrades()).toHaveLength(0);
    expect(runtime!.feedStatus()).toMatchObject({ kind: "paper" });
    await runtime!.stop();
  });
});
