/**
 * Orders in doubt end to end: the engine → ResilientVenue → CcxtVenue → ccxt `binance` → the Binance-compatible test
 * server with its faults ("status unknown" -1007 then placed later; placed only after the first lookup; never placed).
 * Waits are on conditions (never fixed sleeps); the in-doubt lookups run on short, growing delays.
 */
import { afterEach, describe, expect, it } from "vitest";
import { D } from "../core/money";
import { MemoryStore } from "../db/memory-store";
import { BinanceTestServer, type FaultKind } from "../../test/binance-test-server";
import { CcxtVenue } from "../venues/ccxt/ccxt-venue";
import type { DomainEvent } from "./types";
import { liveExchangesFor } from "../../test/binance-test-server/live-exchange";
import { liveEngine, liveResilient, pollFor, wallClock } from "../../test/live-desk";

const trader = { username: "tina", role: "trader" as const };

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()!();
});

async function liveDesk() {
  const server = await BinanceTestServer.start({ symbols: ["BTC/USDT"] });
  closers.push(() => server.close());
  server.pushQuote("BTCUSDT", 30_000, 30_000.5, 50, 50);
  const { exchange, emergency } = liveExchangesFor(server.url, { timeoutMs: 2_000 });
  const venue = await CcxtVenue.open({ exchange, emergencyExchange: emergency, symbols: ["BTC/USDT"], clock: wallClock, pollIntervalMs: 0 });
  const resilient = liveResilient(venue, { maxAttempts: 4, baseDelayMs: 20, maxDelayMs: 200 });
  closers.push(() => resilient.close());
  const store = new MemoryStore();
  const engine = liveEngine({
    venue: resilient,
    store,
    inDoubtPolicy: { firstDelayMs: 100, factor: 2, maxDelayMs: 400, alertAfterLookups: 2 },
  });
  const alerts: string[] = [];
  engine.bus.subscribe((e: DomainEvent) => {
    if (e.type === "alert") alerts.push(e.message);
  });
  await engine.start();
  await engine.marketData({ kind: "quote", symbol: "BTC/USDT", bid: 30_000, ask: 30_000.5 });
  const marketBuy = async (fault: FaultKind, delayMs?: number) => {
    server.addFault({ endpoint: "POST /api/v3/order", kind: fault, ...(delayMs !== undefined ? { delayMs } : {}) });
    const placed = await engine.execute({
      kind: "manualOrder",
      order: { symbol: "BTC/USDT", side: "BUY", type: "MARKET", quantity: "0.002" },
      actor: trader,
      reason: null,
    });
    expect(placed).toMatchObject({ ok: true });
    return placed.ok ? String(placed.data?.clientOrderId) : "";
  };
  return { server, venue, engine, store, alerts, marketBuy };
}

describe("orders in doubt against the Binance test server", () => {
  it.each<[FaultKind, number | undefined]>([
    ["statusUnknown", 300],
    ["placeOnLookup", undefined],
  ])("%s: in doubt, never re-sent, booked once when a later lookup finds it", async (fault, delayMs) => {
    const d = await liveDesk();
    const coid = await d.marketBuy(fault, delayMs);
    await pollFor("the order in doubt", () => d.engine.state().inDoubt.some((m) => m.clientOrderId === coid));
    await pollFor("the order found and filled", () => d.store.getOrder(coid)?.order.status === "FILLED");
    await d.venue.idle();
    expect(d.server.requests("POST /api/v3/order")).toHaveLength(1); // never sent twice
    expect(d.server.requests("GET /api/v3/order").every((r) => r.params.origClientOrderId === coid)).toBe(true);
    expect(
      d.store
        .fillsForOrder(coid)
        .reduce((sum, f) => sum.plus(f.qty), D(0))
        .toString(),
    ).toBe("0.002");
    expect(d.engine.state().positions[0]?.position.quantity.toString()).toBe("0.002");
    expect(d.engine.state().inDoubt).toEqual([]);
  });

  it("status unknown and never executed: it stays in doubt with an alert (no fence on Binance spot); the operator marks it not placed", async () => {
    const d = await liveDesk();
    const coid = await d.marketBuy("statusUnknownNotExecuted");
    const marker = await pollFor("the alert", () => d.engine.state().inDoubt.find((m) => m.clientOrderId === coid && m.alerted));
    expect(marker).toMatchObject({ fenceMs: null, reason: expect.stringMatching(/^TIMEOUT: /) as unknown });
    expect(d.alerts.filter((a) => a.includes(coid) && a.includes("in doubt"))).toHaveLength(2); // when it went in doubt, and when a person is needed
    expect(d.store.getOrder(coid)?.order.status).toBe("SUBMITTED");
    expect(await d.engine.reconcile({ graceMs: 0 })).toBeGreaterThanOrEqual(0);
    expect(d.store.getOrder(coid)?.order.status).toBe("SUBMITTED"); // reconciliation leaves it to the in-doubt process
    const result = await d.engine.markInDoubtNotPlaced(coid, trader, "checked the exchange's order history");
    expect(result).toMatchObject({ ok: true, data: { status: "REJECTED" } });
    expect(d.server.requests("POST /api/v3/order")).toHaveLength(1);
    expect(d.server.account.openOrderCount()).toBe(0);
  });
});
