import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../../core/clock";
import { sequentialIds } from "../../core/ids";
import { makeInstrument } from "../../core/instrument";
import { MemoryStore } from "../../db/memory-store";
import { EventBus } from "../../engine/bus";
import { Engine } from "../../engine/engine";
import { runtimeState, type Runtime } from "../../engine/runtime";
import { SimVenue } from "../../venues/sim/sim-venue";
import { handleSignalWebhook } from "./signals";

const SECRET = "s3cret-webhook-key";
const BTC = makeInstrument({ symbol: "BTC/USDT", priceTick: "0.01", qtyStep: "0.00001", minNotional: "5", takerFee: "0.001", makerFee: "0.001" });
const store = new MemoryStore();

beforeAll(async () => {
  const venue = new SimVenue({ instruments: [BTC], initialBalances: { USDT: "10000" } });
  const engine = new Engine({ venue, store, clock: new ManualClock(Date.UTC(2024, 0, 1)), ids: sequentialIds(), initialEquity: "10000", breaker: null });
  await engine.start();
  await engine.marketData({ kind: "quote", symbol: "BTC/USDT", bid: 20000, ask: 20001 });
  const runtime: Runtime = {
    mode: "replay",
    engine,
    bus: new EventBus(),
    startedAt: 0,
    feedStatus: () => ({ kind: "replay", connected: true, message: "", lastUpdateAt: null }),
    venueStatus: () => venue.status(),
    stop: () => Promise.resolve(),
  };
  runtimeState().runtime = runtime;
});
afterAll(() => {
  runtimeState().runtime = null;
});

function post(body: unknown, headers: Record<string, string> = { authorization: `Bearer ${SECRET}` }): Promise<Response> {
  return handleSignalWebhook(
    new Request("http://127.0.0.1/api/signals", {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: typeof body === "string" ? body : JSON.stringify(body),
    }),
    SECRET,
  );
}

const good = { id: "wh-1", symbol: "BTC/USDT", action: "BUY", confidence: 0.9, strategy: "model-a" };

describe("POST /api/signals", () => {
  it("accepts a valid signal with the secret and trades it", async () => {
    const res = await post(good);
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ status: "ACCEPTED" });
    expect(store.getSignal("wh-1")).toMatchObject({ status: "ACCEPTED", source: "webhook" });
  });

  it("refuses the same id twice with 409", async () => {
    const res = await post(good);
    expect(res.status).toBe(409);
    expect(await res.json()).toMatchObject({ error: "DUPLICATE_SIGNAL" });
  });

  it.each([
    [{ authorization: "Bearer wrong" }, 401],
    [{ "x-bastion-secret": SECRET }, 202],
    [{}, 401],
  ])("checks the secret (%j → %i)", async (headers, status) => {
    const res = await post({ ...good, id: `wh-h-${status}-${Object.keys(headers).length}` }, headers);
    expect(res.status).toBe(status);
  });

  it.each([
    ["not json", "{", "MALFORMED_JSON", /not valid JSON/],
    ["NaN confidence", { ...good, id: "x1", confidence: "NaN" }, "VALIDATION", /confidence/],
    ["confidence above 1", { ...good, id: "x2", confidence: 1.5 }, "VALIDATION", /confidence must be from 0 to 1/],
    ["negative stop", { ...good, id: "x3", stopLoss: -5 }, "VALIDATION", /stopLoss must be a positive price/],
    ["absurd take-profit", { ...good, id: "x4", takeProfit: 1e20 }, "VALIDATION", /absurdly large/],
    ["bad symbol", { ...good, id: "x5", symbol: "btc-usdt" }, "VALIDATION", /BTC\/USDT/],
    ["unknown action", { ...good, id: "x6", action: "HODL" }, "VALIDATION", /BUY, SELL or CLOSE/],
    ["extra field", { ...good, id: "x7", leverage: 100 }, "VALIDATION", /leverage/],
    ["bad venue id", { ...good, id: "x8", venue: "binance main!" }, "VALIDATION", /venue must be a venue id such as binance-main/],
    ["unknown route", { ...good, id: "x9", route: "cheapest" }, "VALIDATION", /route must be split \(over the venues' visible books\) or best/],
  ])("refuses %s with 400 and a readable message", async (_name, body, code, message) => {
    const res = await post(body);
    expect(res.status).toBe(400);
    const json = (await res.json()) as { error: string; message: string };
    expect(json.error).toBe(code);
    expect(json.message).toMatch(message);
  });

  it("takes a route; on a desk with one venue the entry simply goes there", async () => {
    const res = await post({ ...good, id: "wh-r1", route: "split" });
    expect(res.status).toBe(202);
    expect(store.getOrder(String(store.getSignal("wh-r1")?.clientOrderId))?.meta.venue).toBe("sim");
  });

  it("an unknown symbol is a domain denial (422), recorded", async () => {
    const res = await post({ ...good, id: "wh-eth", symbol: "ETH/USDT" });
    expect(res.status).toBe(422);
    expect(await res.json()).toMatchObject({ error: "UNKNOWN_SYMBOL" });
    expect(store.getSignal("wh-eth")).toMatchObject({ status: "DENIED", denyCode: "UNKNOWN_SYMBOL" });
  });

  it("takes a venue: the desk's own trades, an unknown one is a domain denial (422) that names the venues", async () => {
    const own = await post({ ...good, id: "wh-v1", venue: "sim" });
    expect(own.status).toBe(202);
    const res = await post({ ...good, id: "wh-v2", venue: "kraken" });
    expect(res.status).toBe(422);
    expect(await res.json()).toMatchObject({ error: "UNKNOWN_VENUE", message: "There is no venue 'kraken' on this desk; its venues are sim." });
    expect(store.getSignal("wh-v2")).toMatchObject({ status: "DENIED", denyCode: "UNKNOWN_VENUE" });
  });

  it("counts the 16 KiB limit in bytes, not UTF-16 units", async () => {
    // 9,000 "é" are 9,000 UTF-16 units but 18,000 bytes: over the limit.
    const wide = JSON.stringify({ ...good, id: "wide-1", strategy: "é".repeat(9_000) });
    expect(wide.length).toBeLessThan(16 * 1024);
    expect(Buffer.byteLength(wide)).toBeGreaterThan(16 * 1024);
    const res = await post(wide);
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ error: "TOO_LARGE" });
    expect(store.getSignal("wide-1")).toBeNull();
  });

  it("refuses invalid UTF-8, a lone surrogate and control characters in the strategy", async () => {
    const bytes = Buffer.concat([Buffer.from(JSON.stringify({ ...good, id: "bad-utf8" }).slice(0, -2)), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]);
    const res = await handleSignalWebhook(
      new Request("http://127.0.0.1/api/signals", { method: "POST", headers: { authorization: `Bearer ${SECRET}` }, body: bytes }),
      SECRET,
    );
    expect(res.status).toBe(400);
    for (const strategy of [String.raw`a\ud800b`, String.raw`line\nbreak`]) {
      const answer = await post(`{"id":"ctl-${strategy.length}","symbol":"BTC/USDT","action":"BUY","confidence":0.9,"strategy":"${strategy}"}`);
      expect(answer.status).toBe(400);
    }
  });

  it("an error answer does not echo a large input", async () => {
    const res = await post({ ...good, id: "big-1", symbol: "B".repeat(15_000) });
    expect(res.status).toBe(400);
    expect((await res.text()).length).toBeLessThan(2_000);
  });

  it("refuses a signal from 1970 or with a stop above the market (422, recorded)", async () => {
    const old = await post({ ...good, id: "old-1", ts: 1 });
    expect(old.status).toBe(422);
    expect(await old.json()).toMatchObject({ error: "SIGNAL_TOO_OLD" });
    const wrong = await post({ ...good, id: "wrong-1", stopLoss: 25_000 });
    expect(await wrong.json()).toMatchObject({ error: "STOP_LOSS_WRONG_SIDE" });
    expect(store.getSignal("wrong-1")).toMatchObject({ status: "DENIED", denyCode: "STOP_LOSS_WRONG_SIDE" });
  });

  it("is off without a configured secret", async () => {
    const res = await handleSignalWebhook(new Request("http://127.0.0.1/api/signals", { method: "POST", body: "{}" }), undefined);
    expect(res.status).toBe(503);
  });
});
