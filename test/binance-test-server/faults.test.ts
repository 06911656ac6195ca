/**
 * Every fault kind against the test server on the wire: what the client receives, and whether (and
 * when) the request was executed — the question an exchange's lost or "unknown" answer leaves open.
 * Late answers and late executions run on a FakeScheduler, so nothing here waits on the wall clock.
 */
import { createHmac } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../server/core/clock";
import { FakeScheduler } from "../replay/fake-scheduler";
import { FaultQueue, type FaultKind } from "./faults";
import { BinanceTestServer, TEST_API_KEY, TEST_API_SECRET, type BinanceTestServerOptions } from "./index";

const open: BinanceTestServer[] = [];
afterEach(async () => {
  while (open.length > 0) await open.pop()!.close();
});

async function start(options: BinanceTestServerOptions = {}): Promise<{ server: BinanceTestServer; timers: FakeScheduler }> {
  const timers = new FakeScheduler(new ManualClock(0));
  const server = await BinanceTestServer.start({ symbols: ["BTC/USDT"], timers, ...options });
  open.push(server);
  server.pushQuote("BTCUSDT", 30_000, 30_000.5, 5, 5);
  return { server, timers };
}

const UNKNOWN = { code: -1007, msg: "Timeout waiting for response from backend server. Send status unknown; execution status unknown." };

/** A signed request; resolves with status, body and headers, or with `{ error }` when the connection died without an answer. */
async function signed(
  server: BinanceTestServer,
  method: string,
  path: string,
  params: Record<string, string>,
): Promise<{ status: number; body: unknown; headers: Headers } | { error: string }> {
  let query = new URLSearchParams({ ...params, timestamp: String(Date.now()), recvWindow: "10000" }).toString();
  query += `&signature=${createHmac("sha256", TEST_API_SECRET).update(query).digest("hex")}`;
  const inBody = method === "POST";
  try {
    const response = await fetch(`${server.url}${path}${inBody ? "" : `?${query}`}`, {
      method,
      headers: { "X-MBX-APIKEY": TEST_API_KEY, ...(inBody ? { "Content-Type": "application/x-www-form-urlencoded" } : {}) },
      body: inBody ? query : undefined,
    });
    const text = await response.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // an HTML page: keep the text
    }
    return { status: response.status, body, headers: response.headers };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

const marketBuy = (id: string): Record<string, string> => ({ symbol: "BTCUSDT", side: "BUY", type: "MARKET", quantity: "0.001", newClientOrderId: id });
const placeOrder = (server: BinanceTestServer, id: string) => signed(server, "POST", "/api/v3/order", marketBuy(id));
const lookUp = (server: BinanceTestServer, id: string) => signed(server, "GET", "/api/v3/order", { symbol: "BTCUSDT", origClientOrderId: id });
const executed = (server: BinanceTestServer, id: string): number => server.account.allOrders().filter((o) => o.clientOrderId === id).length;

function runAll(timers: FakeScheduler): void {
  while (timers.runNext()) {
    // fire every timer, in due order
  }
}

/** Waits (bounded, no fixed sleep) until the server has recorded `n` requests of an endpoint. */
async function received(server: BinanceTestServer, endpoint: string, n: number): Promise<void> {
  for (let i = 0; i < 5_000 && server.requests(endpoint).length < n; i++) await new Promise((resolve) => setImmediate(resolve));
  expect(server.requests(endpoint)).toHaveLength(n);
}

describe("faults that answer, and say whether anything was executed", () => {
  it("statusUnknown: HTTP 503 with Binance's -1007, and the order is placed delayMs later", async () => {
    const { server, timers } = await start();
    server.addFault({ endpoint: "POST /api/v3/order", kind: "statusUnknown", delayMs: 800 });
    const answer = await placeOrder(server, "su-1");
    expect(answer).toMatchObject({ status: 503, body: UNKNOWN });
    expect(executed(server, "su-1")).toBe(0);
    expect(await lookUp(server, "su-1")).toMatchObject({ status: 400, body: { code: -2013 } });
    expect(timers.nextDue()).toBe(800);
    expect(server.faultStats().latePending).toBe(1);
    runAll(timers);
    expect(executed(server, "su-1")).toBe(1);
    expect(await lookUp(server, "su-1")).toMatchObject({ status: 200, body: { clientOrderId: "su-1", status: "FILLED" } });
    expect(server.faultStats()).toMatchObject({ injected: { statusUnknown: 1 }, lateExecuted: 1, lateRefused: 0, latePending: 0 });
    expect(server.requests("POST /api/v3/order")[0]).toMatchObject({ outcome: 503, fault: "statusUnknown" });
  });

  it("statusUnknown with no delay: executed at once, still answered -1007", async () => {
    const { server } = await start();
    server.addFault({ endpoint: "POST /api/v3/order", kind: "statusUnknown" });
    expect(await placeOrder(server, "su-0")).toMatchObject({ status: 503, body: UNKNOWN });
    expect(executed(server, "su-0")).toBe(1);
  });

  it("statusUnknownNotExecuted: the same answer, and nothing is ever placed", async () => {
    const { server, timers } = await start();
    server.addFault({ endpoint: "POST /api/v3/order", kind: "statusUnknownNotExecuted" });
    expect(await placeOrder(server, "sn-1")).toMatchObject({ status: 503, body: UNKNOWN });
    expect(await lookUp(server, "sn-1")).toMatchObject({ status: 400, body: { code: -2013, msg: "Order does not exist." } });
    runAll(timers);
    expect(executed(server, "sn-1")).toBe(0);
    expect(server.account.allTrades()).toHaveLength(0);
  });

  it("placeOnLookup: -1007, the first lookup says 'does not exist', and right after it the order is placed", async () => {
    const { server } = await start();
    server.addFault({ endpoint: "POST /api/v3/order", kind: "placeOnLookup" });
    expect(await placeOrder(server, "pl-1")).toMatchObject({ status: 503, body: UNKNOWN });
    expect(executed(server, "pl-1")).toBe(0);
    expect(server.faultStats().awaitingLookup).toBe(1);
    // A lookup of another id does not release it.
    expect(await lookUp(server, "other")).toMatchObject({ status: 400, body: { code: -2013 } });
    expect(executed(server, "pl-1")).toBe(0);
    expect(await lookUp(server, "pl-1")).toMatchObject({ status: 400, body: { code: -2013 } });
    expect(executed(server, "pl-1")).toBe(1);
    expect(await lookUp(server, "pl-1")).toMatchObject({ status: 200, body: { clientOrderId: "pl-1", status: "FILLED", executedQty: "0.00100000" } });
    expect(server.faultStats()).toMatchObject({ lateExecuted: 1, awaitingLookup: 0 });
  });

  it("rateLimit: 429 with Binance's -1003 and Retry-After (the fault's delay in seconds), nothing executed", async () => {
    const { server } = await start();
    server.addFault({ endpoint: "POST /api/v3/order", kind: "rateLimit", delayMs: 1_500 });
    const answer = await placeOrder(server, "rl-1");
    expect(answer).toMatchObject({ status: 429, body: { code: -1003 } });
    expect("headers" in answer && answer.headers.get("retry-after")).toBe("2");
    server.addFault({ endpoint: "POST /api/v3/order", kind: "rateLimit" });
    const again = await placeOrder(server, "rl-1");
    expect("headers" in again && again.headers.get("retry-after")).toBe("60");
    expect(executed(server, "rl-1")).toBe(0);
    expect(await placeOrder(server, "rl-1")).toMatchObject({ status: 200 }); // the id was never used
  });

  it("unavailable: a 503 page from the load balancer, nothing executed", async () => {
    const { server } = await start();
    server.addFault({ endpoint: "POST /api/v3/order", kind: "unavailable" });
    const answer = await placeOrder(server, "un-1");
    expect(answer).toMatchObject({ status: 503 });
    expect("body" in answer && typeof answer.body).toBe("string");
    expect(executed(server, "un-1")).toBe(0);
  });
});

describe("faults that lose the answer", () => {
  it("resetBeforeExecute: the connection dies without an answer, nothing executed", async () => {
    const { server, timers } = await start();
    server.addFault({ endpoint: "POST /api/v3/order", kind: "resetBeforeExecute" });
    expect(await placeOrder(server, "rb-1")).toHaveProperty("error");
    runAll(timers);
    expect(executed(server, "rb-1")).toBe(0);
    expect(server.requests("POST /api/v3/order")[0]).toMatchObject({ outcome: "reset", fault: "resetBeforeExecute" });
  });

  it("resetAfterExecute: the connection dies, and the order is placed (at once, or delayMs later)", async () => {
    const { server, timers } = await start();
    server.addFault({ endpoint: "POST /api/v3/order", kind: "resetAfterExecute" });
    expect(await placeOrder(server, "ra-0")).toHaveProperty("error");
    expect(executed(server, "ra-0")).toBe(1);
    server.addFault({ endpoint: "POST /api/v3/order", kind: "resetAfterExecute", delayMs: 300 });
    expect(await placeOrder(server, "ra-1")).toHaveProperty("error");
    expect(executed(server, "ra-1")).toBe(0);
    runAll(timers);
    expect(executed(server, "ra-1")).toBe(1);
  });

  it("delay (latency beyond the client's timeout): executed at once, answered only when the delay has passed", async () => {
    const { server, timers } = await start();
    server.addFault({ endpoint: "POST /api/v3/order", kind: "delay", delayMs: 30_000 });
    let settled = false;
    const pending = placeOrder(server, "dl-1").finally(() => {
      settled = true;
    });
    await received(server, "POST /api/v3/order", 1);
    expect(executed(server, "dl-1")).toBe(1);
    expect(settled).toBe(false);
    expect(timers.nextDue()).toBe(30_000);
    runAll(timers);
    expect(await pending).toMatchObject({ status: 200, body: { clientOrderId: "dl-1", status: "FILLED" } });
  });

  it("dropResponse: executed, never answered (the client gives up)", async () => {
    const { server } = await start();
    server.addFault({ endpoint: "POST /api/v3/order", kind: "dropResponse" });
    let settled = false;
    void placeOrder(server, "dr-1").finally(() => {
      settled = true;
    });
    await received(server, "POST /api/v3/order", 1);
    expect(executed(server, "dr-1")).toBe(1);
    expect(settled).toBe(false);
    expect(server.requests("POST /api/v3/order")[0]).toMatchObject({ outcome: "dropped", fault: "dropResponse" });
  });

  it("hang: never answered, nothing executed", async () => {
    const { server } = await start();
    server.addFault({ endpoint: "POST /api/v3/order", kind: "hang" });
    const controller = new AbortController();
    let query = new URLSearchParams({ ...marketBuy("hg-1"), timestamp: String(Date.now()) }).toString();
    query += `&signature=${createHmac("sha256", TEST_API_SECRET).update(query).digest("hex")}`;
    const pending = fetch(`${server.url}/api/v3/order`, {
      method: "POST",
      headers: { "X-MBX-APIKEY": TEST_API_KEY },
      body: query,
      signal: controller.signal,
    }).catch((e: unknown) => e);
    await received(server, "POST /api/v3/order", 1);
    controller.abort();
    expect(await pending).toBeInstanceOf(Error);
    expect(executed(server, "hg-1")).toBe(0);
  });
});

describe("a seeded fault plan", () => {
  it("draws the same faults for the same seed, in the proportions asked for, and counts them by kind", () => {
    const draw = (seed: number): (FaultKind | null)[] => {
      const q = new FaultQueue();
      q.setPlan({
        seed,
        rules: [{ endpoint: "POST /api/v3/order", probabilities: { statusUnknown: 0.2, rateLimit: 0.1, resetBeforeExecute: 0.1 }, delayMs: [100, 900] }],
      });
      return Array.from({ length: 2_000 }, () => q.take("POST /api/v3/order")?.kind ?? null);
    };
    const a = draw(42);
    expect(draw(42)).toEqual(a);
    expect(draw(43)).not.toEqual(a);
    const share = (kind: FaultKind | null): number => a.filter((k) => k === kind).length / a.length;
    expect(share("statusUnknown")).toBeGreaterThan(0.16);
    expect(share("statusUnknown")).toBeLessThan(0.24);
    expect(share("rateLimit")).toBeGreaterThan(0.07);
    expect(share("rateLimit")).toBeLessThan(0.13);
    expect(share(null)).toBeGreaterThan(0.55);
    const q = new FaultQueue();
    q.setPlan({ seed: 1, rules: [{ endpoint: "*", probabilities: { delay: 1 }, delayMs: [100, 900] }] });
    const delays = Array.from({ length: 200 }, () => q.take("GET /api/v3/order")!.delayMs);
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(100);
    expect(Math.max(...delays)).toBeLessThanOrEqual(900);
    expect(q.injected()).toEqual({ delay: 200 });
  });

  it("one-shot rules go first; an endpoint without a rule passes; bad plans are refused in words", () => {
    const q = new FaultQueue();
    q.setPlan({ seed: 3, rules: [{ endpoint: "POST /api/v3/order", probabilities: { hang: 1 } }] });
    q.add({ endpoint: "POST /api/v3/order", kind: "rateLimit" });
    expect(q.take("POST /api/v3/order")?.kind).toBe("rateLimit");
    expect(q.take("POST /api/v3/order")?.kind).toBe("hang");
    expect(q.take("GET /api/v3/account")).toBeNull();
    expect(() => q.setPlan({ seed: 1, rules: [{ endpoint: "*", probabilities: { hang: 0.7, delay: 0.6 } }] })).toThrow(/add up to 1.3/);
    expect(() => q.setPlan({ seed: 1, rules: [{ endpoint: "*", probabilities: { explode: 0.1 } as never }] })).toThrow(/unknown fault kind explode/);
    expect(() => q.setPlan({ seed: 1, rules: [{ endpoint: "*", probabilities: { hang: 0.1 }, delayMs: [5, 1] }] })).toThrow(/backwards/);
  });

  it("drives the server: faults per request kind from the plan, the rest answered normally", async () => {
    const { server } = await start({ balances: { USDT: "1000000", BTC: "10" } });
    server.setFaultPlan({ seed: 9, rules: [{ endpoint: "POST /api/v3/order", probabilities: { statusUnknownNotExecuted: 0.5 } }] });
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) {
      const answer = await placeOrder(server, `plan-${i}`);
      statuses.push("status" in answer ? answer.status : 0);
    }
    const unknown = statuses.filter((s) => s === 503).length;
    expect(unknown).toBeGreaterThan(3);
    expect(unknown + statuses.filter((s) => s === 200).length).toBe(20);
    expect(server.account.allOrders()).toHaveLength(20 - unknown);
    expect(server.faultStats().injected).toEqual({ statusUnknownNotExecuted: unknown });
    // Reads are not in the plan: the lookup answers as the order book stands.
    expect(await lookUp(server, "plan-0")).toMatchObject({ status: statuses[0] === 200 ? 200 : 400 });
  });
});

describe("clientOrderId reuse", () => {
  it("as on Binance ('whenClosed'): a closed order's id can be sent again, and a MARKET order then executes twice", async () => {
    const { server } = await start({ clientOrderIdReuse: "whenClosed" });
    expect(await placeOrder(server, "again")).toMatchObject({ status: 200, body: { orderId: 1, status: "FILLED" } });
    expect(await placeOrder(server, "again")).toMatchObject({ status: 200, body: { orderId: 2, clientOrderId: "again", status: "FILLED" } });
    expect(server.account.allOrders().map((o) => [o.orderId, o.clientOrderId, o.executedQty.toString()])).toEqual([
      [1, "again", "0.001"],
      [2, "again", "0.001"],
    ]);
    expect(server.account.allTrades().map((t) => [t.orderId, t.clientOrderId])).toEqual([
      [1, "again"],
      [2, "again"],
    ]);
    expect(await lookUp(server, "again")).toMatchObject({ status: 200, body: { orderId: 2 } });
    // An open order's id is still unique.
    const limit = { symbol: "BTCUSDT", side: "BUY", type: "LIMIT", timeInForce: "GTC", quantity: "0.001", price: "29000", newClientOrderId: "rest" };
    expect(await signed(server, "POST", "/api/v3/order", limit)).toMatchObject({ status: 200 });
    expect(await signed(server, "POST", "/api/v3/order", limit)).toMatchObject({ status: 400, body: { code: -2010, msg: "Duplicate order sent." } });
  });

  it("by default ('never') a reused id is refused even after the order closed", async () => {
    const { server } = await start();
    expect(await placeOrder(server, "once")).toMatchObject({ status: 200 });
    expect(await placeOrder(server, "once")).toMatchObject({ status: 400, body: { code: -2010, msg: "Duplicate order sent." } });
    expect(server.account.allOrders()).toHaveLength(1);
  });
});
