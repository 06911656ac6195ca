/**
 * The dispatcher on the engine's real EventBus: what each domain event becomes, the default kinds (emergency stop,
 * breaker trip, protection fired), the test message, and a bus whose publish is never slowed or broken by it.
 */
import { afterEach, describe, expect, it } from "vitest";
import { type HttpReceiver, startHttpReceiver } from "../../test/notify/receivers";
import { fakeTime, waitForAttempt } from "../../test/notify/support";
import { sequentialIds } from "../core/ids";
import { D } from "../core/money";
import { Protections } from "../core/protection";
import { EventBus } from "../engine/bus";
import { type DomainEvent } from "../engine/types";
import { NotificationChannel } from "./channel";
import { InMemoryDeliveryRepository } from "./delivery-log";
import { NotificationDispatcher, describeEvent } from "./dispatcher";
import { type Notification, type Transport } from "./types";
import { WebhookTransport, verifyWebhookSignature } from "./webhook";

class RecordingTransport implements Transport {
  readonly type = "recording";
  readonly sent: Notification[] = [];
  send(notification: Notification): Promise<void> {
    this.sent.push(notification);
    return Promise.resolve();
  }
}

const receivers: HttpReceiver[] = [];
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((receiver) => receiver.close()));
});

/** The protection event the engine will publish (not yet in DomainEvent: the merger adds it). */
function protectionEvent() {
  const protections = new Protections({ flashMove: { movePct: 1.5 } });
  protections.onPrice("BTC/USDC", 22428.11, Date.parse("2023-03-11T08:03:00Z"));
  const [firing] = protections.onPrice("BTC/USDC", 22006.31, Date.parse("2023-03-11T08:04:00Z"));
  return { type: "protection", firing: firing! };
}

describe("describeEvent", () => {
  it.each([
    {
      event: { type: "breaker", state: "OPEN", reason: "DRAWDOWN_PCT", message: "Drawdown of 15.2% reached the 15% limit.", by: "system" },
      expected: {
        kind: "breaker",
        severity: "critical",
        title: "Circuit breaker tripped: DRAWDOWN_PCT",
        detail: "Drawdown of 15.2% reached the 15% limit. (by system)",
      },
    },
    {
      event: { type: "breaker", state: "CLOSED", reason: "RESET", message: "Reset by alice.", by: "alice" },
      expected: { kind: "breaker", severity: "info", title: "Circuit breaker reset" },
    },
    {
      event: {
        type: "emergency",
        progress: {
          step: "halted",
          venue: "all",
          ordersToCancel: 3,
          ordersCanceled: 0,
          positionsToFlatten: 1,
          positionsFlattened: 0,
          message: "HALTED by alice: de-peg.",
        },
      },
      expected: { kind: "emergency", severity: "critical", title: "Emergency stop: trading HALTED", detail: "HALTED by alice: de-peg." },
    },
    {
      event: {
        type: "emergency",
        progress: { step: "canceling", venue: "sim", ordersToCancel: 3, ordersCanceled: 1, positionsToFlatten: 0, positionsFlattened: 0, message: "1/3" },
      },
      expected: null,
    },
    {
      event: { type: "alert", level: "warn", message: "Market data for ADA/BTC stopped." },
      expected: { kind: "alert", severity: "warning", detail: "Market data for ADA/BTC stopped." },
    },
    {
      event: { type: "tradingState", state: "PAUSED", reason: "maintenance", by: "bob" },
      expected: { kind: "tradingState", severity: "warning", title: "Trading state: PAUSED" },
    },
    {
      event: { type: "signal", id: "sig-1", symbol: "ETH/BTC", status: "DENIED", code: "SYMBOL_LOCKED", message: "locked" },
      expected: { kind: "signal", symbol: "ETH/BTC" },
    },
    { event: { type: "signal", id: "sig-2", symbol: "ETH/BTC", status: "ACCEPTED", code: null, message: "ok" }, expected: null },
    { event: { type: "marks", marks: { "BTC/USDT": 1 } }, expected: null },
  ])("$event.type → $expected.kind", ({ event, expected }) => {
    const described = describeEvent(event);
    if (expected === null) expect(described).toBeNull();
    else expect(described).toMatchObject(expected);
  });

  it("a protection firing from core/protection becomes a critical 'protection' notification about its symbol", () => {
    expect(describeEvent(protectionEvent() as never)).toEqual({
      kind: "protection",
      severity: "critical",
      title: "Protection FLASH_MOVE fired on BTC/USDC: LOCK_SYMBOL",
      detail: "BTC/USDC fell 1.88% within 1 min (from 22428.11 to 22006.31), reaching the 1.5% in 1 min limit.",
      symbol: "BTC/USDC",
      ts: Date.parse("2023-03-11T08:04:00Z"),
    });
  });
});

describe("NotificationDispatcher on the EventBus", () => {
  it("delivers emergency, breaker and protection by default; fills and alerts only to a channel that asks", async () => {
    const { clock, scheduler } = fakeTime();
    const repository = new InMemoryDeliveryRepository();
    const byDefault = new RecordingTransport();
    const everything = new RecordingTransport();
    const channels = [
      new NotificationChannel({ name: "default", transport: byDefault, clock, timers: scheduler, repository, secrets: [] }),
      new NotificationChannel({
        name: "all",
        transport: everything,
        filter: { kinds: ["fill", "alert", "breaker"], minSeverity: "info", symbols: null },
        clock,
        timers: scheduler,
        repository,
        secrets: [],
      }),
    ];
    const dispatcher = new NotificationDispatcher({ channels, clock, ids: sequentialIds(), log: () => undefined });
    const bus = new EventBus();
    const detach = dispatcher.attach(bus);

    const events: DomainEvent[] = [
      { type: "breaker", state: "OPEN", reason: "CONSECUTIVE_LOSSES", message: "5 losses in a row.", by: "system" },
      {
        type: "fill",
        clientOrderId: "ord-1",
        symbol: "BTC/USDT",
        side: "BUY",
        qty: D("0.5"),
        price: D("22006.31"),
        fee: D("0.1"),
        tradeId: "t-1",
        ts: clock.now(),
        late: false,
      },
      { type: "alert", level: "error", message: "Venue sim unreachable." },
      {
        type: "emergency",
        progress: { step: "halted", venue: "all", ordersToCancel: 0, ordersCanceled: 0, positionsToFlatten: 0, positionsFlattened: 0, message: "HALTED" },
      },
    ];
    for (const event of events) bus.publish(event);
    bus.publish(protectionEvent() as never);
    await dispatcher.idle();

    expect(byDefault.sent.map((n) => [n.id, n.kind])).toEqual([
      ["ntf-1", "breaker"],
      ["ntf-4", "emergency"],
      ["ntf-5", "protection"],
    ]);
    expect(everything.sent.map((n) => n.kind)).toEqual(["breaker", "fill", "alert"]);
    expect(everything.sent[1]!.title).toBe("Fill BUY 0.5 BTC/USDT @ 22006.31");
    detach();
    bus.publish(events[0]!);
    await dispatcher.idle();
    expect(byDefault.sent).toHaveLength(3);
  });

  it("publish on the bus returns before a slow webhook answers; the signed message arrives later", async () => {
    const { clock, scheduler } = fakeTime();
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const receiver = await startHttpReceiver(() => ({ status: 200 }));
    receivers.push(receiver);
    const repository = new InMemoryDeliveryRepository();
    const secret = "a-webhook-secret-0123456789";
    const webhook = new WebhookTransport({ url: `${receiver.url}/in`, secret, clock, timers: scheduler });
    // A transport that waits for the test before posting: the receiver cannot have answered when publish returns.
    const slow: Transport = { type: "webhook", send: async (n) => (await held, webhook.send(n)) };
    const channel = new NotificationChannel({ name: "hook", transport: slow, clock, timers: scheduler, repository, secrets: [secret] });
    const dispatcher = new NotificationDispatcher({ channels: [channel], clock, ids: sequentialIds("run") });
    const bus = new EventBus();
    dispatcher.attach(bus);

    bus.publish(protectionEvent() as never);
    expect(receiver.requests).toHaveLength(0);
    expect(channel.pending).toBe(1);
    release();
    const request = await receiver.next();
    expect(verifyWebhookSignature(request.headers["x-bastion-signature"] as string, request.body, secret, clock.now()).ok).toBe(true);
    expect(JSON.parse(request.body)).toMatchObject({ id: "ntf-run-1", kind: "protection", severity: "critical" });
    await waitForAttempt(repository, (a) => a.outcome === "delivered");
  });

  it("sendTest reaches one channel past its filter; an unknown channel is null", async () => {
    const { clock, scheduler } = fakeTime();
    const transport = new RecordingTransport();
    const channel = new NotificationChannel({
      name: "strict",
      transport,
      filter: { kinds: ["fill"], minSeverity: "critical", symbols: ["NONE"] },
      clock,
      timers: scheduler,
      repository: new InMemoryDeliveryRepository(),
      secrets: [],
    });
    const dispatcher = new NotificationDispatcher({ channels: [channel], clock, ids: sequentialIds() });
    expect(dispatcher.sendTest("strict", "alice")).toBe("queued");
    expect(dispatcher.sendTest("nope", "alice")).toBeNull();
    await dispatcher.idle();
    expect(transport.sent[0]).toMatchObject({
      kind: "test",
      title: "Test message from Bastion (strict)",
      detail: "Sent by alice to check that this channel delivers.",
    });
  });

  it("an event it cannot read is ignored, never thrown into the bus", () => {
    const { clock } = fakeTime();
    const dispatcher = new NotificationDispatcher({ channels: [], clock, ids: sequentialIds() });
    expect(dispatcher.publishEvent({ type: "protection", firing: null })).toEqual({});
    expect(dispatcher.publishEvent({ type: "emergency" })).toEqual({});
  });
});
