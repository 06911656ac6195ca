/**
 * The runtime in LIVE mode from a desk file with two ccxt venues: binance-main on the Binance-compatible test server
 * (keys from BASTION_VENUE_BINANCE_MAIN_API_*) and bitget-1 on the Bitget-compatible one (keys from the secrets file's
 * venues map), each its own ccxt client, emergency lane and resilience layer in one engine. A signal per venue lands
 * on that exchange; a venue without keys refuses the start by name. Waits on the engine's events, never on the clock.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Changes } from "../../test/ccxt/test-changes";
import { twoVenueDeskFile, twoVenueRuntime } from "../../test/two-venue-runtime";
import { TEST_API_KEY, TEST_API_SECRET } from "../../test/binance-test-server";
import { BITGET_TEST_API_KEY, BITGET_TEST_API_SECRET, BITGET_TEST_PASSPHRASE } from "../../test/bitget-test-server";
import { LIVE_OPT_IN_VALUE } from "../venues/ccxt/live-config";
import type { Engine } from "./engine";
import { ensureRuntime, runtimeState } from "./runtime";

/** Re-checked on every engine event (the bus), never on the clock. */
const changes = new Changes();
const waitFor = <T>(probe: () => T | null | undefined | false): Promise<T> => changes.until(probe, "the engine's state");

const deskFile = twoVenueDeskFile("  mode: live", "0.001");

describe("the runtime in LIVE mode with two ccxt venues from the desk file", { timeout: 90_000 }, () => {
  const servers = twoVenueRuntime({
    tmpPrefix: "bastion-live-venues-",
    bitgetBtcBid: 29_990,
    deskFile,
    env: (work) => {
      const secrets = join(work, "secrets.yaml");
      writeFileSync(
        secrets,
        `venues:\n  bitget-1:\n    api_key: "${BITGET_TEST_API_KEY}"\n    api_secret: "${BITGET_TEST_API_SECRET}"\n    api_password: "${BITGET_TEST_PASSPHRASE}"\n`,
        { mode: 0o600 },
      );
      return {
        BASTION_SECRETS_FILE: secrets,
        BASTION_LIVE_OPT_IN: LIVE_OPT_IN_VALUE,
        BASTION_MARKET_TYPES: "spot",
        BASTION_POLL_MS: "250",
        BASTION_WEBSOCKETS: "off",
      };
    },
  });

  function fresh(): void {
    (globalThis as Record<string, unknown>).__bastionRuntime = undefined;
  }

  it("refuses to start while a venue has no keys, naming the venue and its variables", async () => {
    fresh();
    expect(await ensureRuntime()).toBeNull();
    const error = runtimeState().error ?? "";
    expect(error).toContain(
      "LIVE mode refused to start. LIVE_NO_KEYS: venue binance-main needs BASTION_VENUE_BINANCE_MAIN_API_KEY and BASTION_VENUE_BINANCE_MAIN_API_SECRET",
    );
    // bitget-1 has its keys in the secrets file: not named, and no secret in the message.
    expect(error).not.toContain("bitget-1");
    expect(error).not.toContain(BITGET_TEST_API_SECRET);
  });

  it("starts both venues, a signal on each lands on its exchange, and venueStatuses lists both", async () => {
    fresh();
    Object.assign(process.env, { BASTION_VENUE_BINANCE_MAIN_API_KEY: TEST_API_KEY, BASTION_VENUE_BINANCE_MAIN_API_SECRET: TEST_API_SECRET });
    const runtime = await ensureRuntime();
    expect(runtimeState().error).toBeNull();
    const engine: Engine = runtime!.engine;
    engine.bus.subscribe(() => setImmediate(changes.notify));
    expect(engine.venueStatuses().map((v) => [v.id, v.connected])).toEqual([
      ["binance-main", true],
      ["bitget-1", true],
    ]);
    // Each account's 100 000 USDT: equity is their sum.
    expect(engine.equity().equity.toString()).toBe("200000");
    // The feeds poll each exchange and tag its quotes with the venue; the marks event says they arrived.
    await waitFor(() => engine.state().marks["BTC/USDT"]);
    const signal = (id: string, venue: string) =>
      engine.execute({
        kind: "signal",
        signal: { id, symbol: "BTC/USDT", action: "BUY", confidence: 0.9, strategy: `s-${venue}`, ts: Date.now(), venue },
        source: "test",
      });
    const atBinance = await signal("lv-1", "binance-main");
    const atBitget = await signal("lv-2", "bitget-1");
    expect(atBinance, JSON.stringify(atBinance)).toMatchObject({ ok: true });
    expect(atBitget, JSON.stringify(atBitget)).toMatchObject({ ok: true });
    // Each exchange saw exactly its own order.
    await waitFor(() => servers.binance.account.allTrades().length > 0 && servers.bitget.account.allTrades().length > 0);
    const binanceOrders = new Set(servers.binance.account.allTrades().map((t) => t.clientOrderId));
    const bitgetOrders = new Set(servers.bitget.account.allTrades().map((t) => t.clientOid));
    const coid = (r: typeof atBinance) => (r.ok ? (r.data?.clientOrderId as string) : "");
    expect([...binanceOrders]).toEqual([coid(atBinance)]);
    expect([...bitgetOrders]).toEqual([coid(atBitget)]);
    expect(runtime!.feedStatus()).toMatchObject({ kind: "live" });
    await runtime!.stop();
  });
});
