/**
 * LIVE mode end to end, in process: the engine trading through ResilientVenue → CcxtVenue → a real ccxt
 * `binance` instance → the Binance-compatible test server on 127.0.0.1 (simulated fills). Then the runtime's
 * live branch: it refuses to start without keys or the opt-in, and starts against the test server.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { MemoryStore } from "../db/memory-store";
import { createMigratedDb } from "../../test/db";
import { BinanceTestServer, TEST_API_KEY, TEST_API_SECRET } from "../../test/binance-test-server";
import { CcxtVenue } from "../venues/ccxt/ccxt-venue";
import { LIVE_OPT_IN_VALUE } from "../venues/ccxt/live-config";
import { type Engine } from "./engine";
import { ensureRuntime, runtimeState } from "./runtime";
import type { Actor, EmergencyProgress } from "./types";
import { liveExchangesFor } from "../../test/binance-test-server/live-exchange";
import { EngineWaits, liveEngine, liveResilient, liveSymbolSettings, wallClock } from "../../test/live-desk";

const trader: Actor = { username: "tina", role: "trader" };
const SYMBOLS = ["BTC/USDT", "ETH/USDT", "LTC/USDT"];
const waits = new EngineWaits();
const waitFor = waits.waitFor.bind(waits);

/** ccxt's timeout for requests that must succeed: the test server runs in this process and answers slowly under load. */
const PATIENT_MS = 20_000;

interface LiveDesk {
  server: BinanceTestServer;
  engine: Engine;
  venue: CcxtVenue;
  store: MemoryStore;
  close(): Promise<void>;
}

async function liveDesk(options: { timeoutMs?: number } = {}): Promise<LiveDesk> {
  const server = await BinanceTestServer.start({ symbols: SYMBOLS });
  server.pushQuote("BTCUSDT", 30_000, 30_000.5, 50, 50);
  server.pushQuote("ETHUSDT", 2_000, 2_000.1, 500, 500);
  server.pushQuote("LTCUSDT", 90, 90.01, 5_000, 5_000);
  const { exchange, emergency } = liveExchangesFor(server.url, { timeoutMs: options.timeoutMs ?? PATIENT_MS });
  const venue = await CcxtVenue.open({ exchange, emergencyExchange: emergency, symbols: SYMBOLS, clock: wallClock, pollIntervalMs: 200 });
  let engineRef: Engine | null = null;
  const resilient = liveResilient(venue, { maxAttempts: 5, baseDelayMs: 50, maxDelayMs: 500, engine: () => engineRef });
  const store = new MemoryStore();
  const engine = liveEngine({ venue: resilient, store, defaultSymbolSettings: liveSymbolSettings(0.01), emergencyConfirmMs: 15_000 });
  engineRef = engine;
  waits.watch(engine.bus);
  await engine.start();
  await engine.marketData({ kind: "quote", symbol: "BTC/USDT", bid: 30_000, ask: 30_000.5 });
  await engine.marketData({ kind: "quote", symbol: "ETH/USDT", bid: 2_000, ask: 2_000.1 });
  await engine.marketData({ kind: "quote", symbol: "LTC/USDT", bid: 90, ask: 90.01 });
  return {
    server,
    engine,
    venue,
    store,
    close: async () => {
      await resilient.close();
      await server.close();
    },
  };
}

const desks: LiveDesk[] = [];
afterEach(async (context) => {
  if (waits.waitingFor !== null) context.task.result?.errors?.push({ name: "Waiting", message: `still waiting for ${waits.waitingFor}` });
  waits.clear();
  while (desks.length > 0) await desks.pop()!.close();
});

describe("engine + ResilientVenue + CcxtVenue + ccxt binance → the Binance test server", () => {
  it("signal → order (with Bastion's clientOrderId) → fill → position", async () => {
    const d = await liveDesk();
    desks.push(d);
    const result = await d.engine.execute({
      kind: "signal",
      signal: { id: "live-1", symbol: "BTC/USDT", action: "BUY", confidence: 0.8, strategy: "test", ts: Date.now() },
      source: "test",
    });
    expect(result).toMatchObject({ ok: true, data: { status: "SUBMITTED" } }); // a real exchange answers later
    const coid = result.ok ? (result.data?.clientOrderId as string) : "";
    const position = await waitFor("the position", () => d.engine.state().positions.find((p) => p.position.quantity.greaterThan(0))?.position);
    // 1 % of 100 000 at the ask 30 000.5, rounded down to the 0.00001 step
    expect(position.quantity.toString()).toBe("0.03333");
    expect(position.avgEntryPrice?.toString()).toBe("30000.5");
    const sent = d.server.requests("POST /api/v3/order");
    expect(sent).toHaveLength(1);
    expect(sent[0]!.params).toMatchObject({ symbol: "BTCUSDT", side: "BUY", type: "MARKET", quantity: "0.03333", newClientOrderId: coid });
    expect(d.store.journalFor(coid).map((e) => e.type)).toEqual(["intent", "submit", "accept", "fill"]);
    const [fill] = d.store.fillsForOrder(coid);
    expect(fill).toMatchObject({ venue: "binance", feeCurrency: "USDT" });
    expect(fill!.fee.toString()).toBe("0.99991667"); // 0.1 % taker of 0.03333 × 30 000.5, as the exchange rounds it (8 places)
    // Reconciliation agrees with the books.
    expect(await d.engine.reconcile()).toBe(0);
  });

  it("a createOrder whose answer is lost is found by clientOrderId and not placed twice", async () => {
    const d = await liveDesk({ timeoutMs: 500 });
    desks.push(d);
    d.server.addFault({ endpoint: "POST /api/v3/order", kind: "dropResponse" });
    const result = await d.engine.execute({
      kind: "manualOrder",
      order: { symbol: "BTC/USDT", side: "BUY", type: "LIMIT", quantity: "0.002", price: "29000" },
      actor: trader,
      reason: null,
    });
    const coid = result.ok ? (result.data?.clientOrderId as string) : "";
    const order = await waitFor("the lost order found", () => d.engine.state().openOrders.find((o) => o.clientOrderId === coid && o.status === "ACCEPTED"));
    expect(order.venueOrderId).toBe("1");
    expect(d.server.requests("POST /api/v3/order").map((r) => r.outcome)).toEqual(["dropped"]);
    expect(d.server.requests("GET /api/v3/order").length).toBeGreaterThan(0); // looked up by origClientOrderId
    expect(d.server.requests("GET /api/v3/order")[0]!.params).toMatchObject({ origClientOrderId: coid });
    expect(d.server.account.openOrderCount()).toBe(1);
    // It still fills like any other order of ours.
    d.server.pushTrade("BTCUSDT", 28_990, 1, "SELL");
    const position = await waitFor("the fill", () => d.engine.state().positions.find((p) => p.position.quantity.greaterThan(0))?.position);
    expect(position.quantity.toString()).toBe("0.002");
    expect(d.server.requests("POST /api/v3/order")).toHaveLength(1);
  });

  it("emergency stop over 50 open orders on 3 symbols: all canceled (time reported)", async () => {
    const d = await liveDesk();
    desks.push(d);
    const plan = [
      ...Array.from({ length: 17 }, (_, i) => ({ symbol: "BTC/USDT", quantity: "0.001", price: String(25_000 + i * 10) })),
      ...Array.from({ length: 17 }, (_, i) => ({ symbol: "ETH/USDT", quantity: "0.01", price: String(1_500 + i) })),
      ...Array.from({ length: 16 }, (_, i) => ({ symbol: "LTC/USDT", quantity: "0.2", price: String(70 + i / 10) })),
    ];
    for (const o of plan) {
      const placed = await d.engine.execute({ kind: "manualOrder", order: { ...o, side: "BUY", type: "LIMIT" }, actor: trader, reason: null });
      expect(placed).toMatchObject({ ok: true });
    }
    await waitFor("50 orders accepted", () => d.engine.state().openOrders.filter((o) => o.status === "ACCEPTED").length === 50);
    expect(d.server.account.openOrderCount()).toBe(50);

    const steps: EmergencyProgress[] = [];
    d.engine.bus.subscribe((event) => {
      if (event.type === "emergency") steps.push(event.progress);
    });
    const started = performance.now();
    const stop = await d.engine.execute({ kind: "emergencyStop", flatten: true, actor: trader, reason: "live test" });
    expect(stop).toMatchObject({ ok: true, data: { progress: { ordersToCancel: 50 } } });
    const finished = await waitFor("the emergency stop done", () => d.engine.state().emergency?.step === "done" && d.engine.state().emergency);
    const elapsedMs = performance.now() - started;
    expect(finished).toMatchObject({ ordersToCancel: 50, ordersCanceled: 50, positionsToFlatten: 0 });
    expect(d.engine.state().openOrders).toHaveLength(0);
    expect(d.engine.state().tradingState).toBe("HALTED");
    expect(d.server.account.openOrderCount()).toBe(0);
    // The progress followed the confirmations instead of reporting "0 of 50" at once.
    expect(steps.find((s) => s.step === "canceled")?.message).toBe("50 of 50 order(s) canceled.");
    // One batch cancel per symbol on the exchange, not 50 single cancels.
    expect(d.server.requests("DELETE /api/v3/openOrders")).toHaveLength(3);
    console.log(`[live.test] emergency stop: 50 open orders on 3 symbols canceled and confirmed in ${elapsedMs.toFixed(0)} ms`);
  });
});

// ---------------------------------------------------------------------------------------------
// The runtime's live branch

describe("the runtime in LIVE mode", () => {
  const saved = { ...process.env };
  let dir = "";
  let server: BinanceTestServer | null = null;

  beforeAll(() => {
    const dbPath = createMigratedDb();
    dir = dirname(dbPath);
    process.env.BASTION_MODE = "live";
    process.env.DATABASE_URL = `file:${dbPath}`;
    // An empty settings file, so a developer's data/live.json never leaks into the test.
    const file = join(mkdtempSync(join(tmpdir(), "bastion-live-")), "live.json");
    writeFileSync(file, "{}", { mode: 0o600 });
    process.env.BASTION_LIVE_CONFIG = file;
    for (const key of [
      "BASTION_API_KEY",
      "BASTION_API_SECRET",
      "BASTION_API_PASSWORD",
      "BASTION_LIVE_OPT_IN",
      "BASTION_API_URL",
      "BASTION_EXCHANGE",
      "BASTION_SANDBOX",
    ])
      delete process.env[key];
  });

  afterAll(async () => {
    await runtimeState().runtime?.stop();
    await server?.close();
    process.env = saved;
    rmSync(dir, { recursive: true, force: true });
  });

  function fresh(): void {
    (globalThis as Record<string, unknown>).__bastionRuntime = undefined;
  }

  it.each([
    {
      name: "without keys",
      env: { BASTION_LIVE_OPT_IN: LIVE_OPT_IN_VALUE },
      error: /^LIVE mode refused to start\. LIVE_NO_KEYS: LIVE mode needs BASTION_API_KEY and BASTION_API_SECRET\.$/,
    },
    {
      name: "without the opt-in",
      env: { BASTION_API_KEY: "k".repeat(20), BASTION_API_SECRET: "s".repeat(20) },
      error: /^LIVE mode refused to start\. LIVE_NO_OPT_IN: Set BASTION_LIVE_OPT_IN=I_UNDERSTAND_REAL_MONEY to trade real money\.$/,
    },
    {
      name: "with a wrong opt-in",
      env: { BASTION_API_KEY: "k".repeat(20), BASTION_API_SECRET: "s".repeat(20), BASTION_LIVE_OPT_IN: "yes" },
      error: /LIVE_NO_OPT_IN/,
    },
    { name: "without anything", env: {}, error: /LIVE_NO_KEYS: .*BASTION_API_KEY.* Set BASTION_LIVE_OPT_IN=I_UNDERSTAND_REAL_MONEY/ },
  ])("refuses to start $name, and says why", async ({ env, error }) => {
    fresh();
    for (const key of ["BASTION_API_KEY", "BASTION_API_SECRET", "BASTION_LIVE_OPT_IN"]) delete process.env[key];
    Object.assign(process.env, env);
    expect(await ensureRuntime()).toBeNull();
    const state = runtimeState();
    expect(state.runtime).toBeNull();
    expect(state.error).toMatch(error);
    // The secret never shows in the error.
    expect(state.error).not.toContain("s".repeat(20));
  });

  it("starts against the test server: venue binance connected, instruments from its markets, strategy off", async () => {
    fresh();
    server = await BinanceTestServer.start({ symbols: ["BTC/USDT"] });
    server.pushQuote("BTCUSDT", 30_000, 30_000.5, 50, 50);
    Object.assign(process.env, {
      BASTION_API_KEY: TEST_API_KEY,
      BASTION_API_SECRET: TEST_API_SECRET,
      BASTION_API_URL: server.url,
      BASTION_LIVE_OPT_IN: LIVE_OPT_IN_VALUE,
      BASTION_SYMBOL: "BTC/USDT",
      BASTION_POLL_MS: "250",
    });
    const runtime = await ensureRuntime();
    expect(runtimeState().error).toBeNull();
    expect(runtime).not.toBeNull();
    waits.watch(runtime!.engine.bus);
    expect(runtime!.mode).toBe("live");
    expect(runtime!.engine.venueId()).toBe("binance");
    expect(runtime!.venueStatus()).toMatchObject({ connected: true, lastError: null });
    // Instruments from the exchange's markets (the test server's exchangeInfo), not the recorded snapshot.
    expect(runtime!.engine.instrumentList().map((i) => [i.symbol, i.priceTick.toString(), i.qtyStep.toString()])).toEqual([["BTC/USDT", "0.01", "0.00001"]]);
    // Starting capital from the account's USDT balance.
    expect(runtime!.engine.equity().equity.toString()).toBe("100000");
    const feed = await waitFor("market data", () => runtime!.feedStatus().lastUpdateAt !== null && runtime!.feedStatus());
    expect(feed).toMatchObject({ kind: "live", connected: true });
    expect(runtime!.engine.state().marks["BTC/USDT"]).toMatchObject({ bid: 30_000, ask: 30_000.5 });
    await runtime!.stop();
  });
});
