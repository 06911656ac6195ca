/** The channel's own rules with a transport the test controls: filter, rate limit, queue bound, order, backoff cap. */
import { describe, expect, it } from "vitest";
import { fakeTime, waitForAttempt } from "../../test/notify/support";
import { NotificationChannel, backoffDelay } from "./channel";
import { InMemoryDeliveryRepository } from "./delivery-log";
import { type ChannelFilter } from "./filter";
import { DeliveryError, type Notification, type Severity, type Transport } from "./types";

/** A transport whose sends the test settles one by one. */
class HeldTransport implements Transport {
  readonly type = "held";
  readonly sent: string[] = [];
  private settlers: { resolve: () => void; reject: (error: Error) => void }[] = [];

  send(notification: Notification): Promise<void> {
    this.sent.push(notification.id);
    return new Promise((resolve, reject) => this.settlers.push({ resolve, reject }));
  }

  succeed(): void {
    this.settlers.shift()!.resolve();
  }

  fail(error: Error): void {
    this.settlers.shift()!.reject(error);
  }
}

/** Lets the promise callbacks already queued run (no time passes: the clock is fake). */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

const note = (id: string, severity: Severity = "warning", overrides: Partial<Notification> = {}): Notification => ({
  id,
  kind: "protection",
  severity,
  ts: 0,
  title: id,
  detail: id,
  symbol: "BTC/USDT",
  ...overrides,
});

function setup(options: { filter?: ChannelFilter; rateLimit?: { capacity: number; perMinute: number } | null; maxQueue?: number } = {}) {
  const { clock, scheduler } = fakeTime(0);
  const repository = new InMemoryDeliveryRepository();
  const transport = new HeldTransport();
  const channel = new NotificationChannel({
    name: "held",
    transport,
    clock,
    timers: scheduler,
    repository,
    secrets: ["s3cr3t-value"],
    retry: { maxAttempts: 6, baseDelayMs: 1_000, maxDelayMs: 5_000 },
    ...(options.filter ? { filter: options.filter } : {}),
    rateLimit: options.rateLimit ?? null,
    ...(options.maxQueue ? { maxQueue: options.maxQueue } : {}),
  });
  return { clock, scheduler, repository, transport, channel };
}

describe("NotificationChannel", () => {
  it.each([
    { filter: { kinds: null, minSeverity: "info", symbols: null }, notification: note("n", "info", { kind: "fill" }), result: "filtered" },
    { filter: { kinds: null, minSeverity: "info", symbols: null }, notification: note("n", "info", { kind: "breaker" }), result: "queued" },
    { filter: { kinds: ["fill"], minSeverity: "info", symbols: null }, notification: note("n", "info", { kind: "fill" }), result: "queued" },
    { filter: { kinds: null, minSeverity: "critical", symbols: null }, notification: note("n", "warning"), result: "filtered" },
    { filter: { kinds: null, minSeverity: "info", symbols: ["ETH/USDT"] }, notification: note("n"), result: "filtered" },
    {
      filter: { kinds: null, minSeverity: "info", symbols: ["ETH/USDT"] },
      notification: note("n", "critical", { kind: "emergency", symbol: null }),
      result: "queued",
    },
    { filter: { kinds: ["fill"], minSeverity: "critical", symbols: ["X"] }, notification: note("n", "info", { kind: "test", symbol: null }), result: "queued" },
  ] as const)("filter $filter, $notification.kind/$notification.severity → $result", ({ filter, notification, result }) => {
    const { channel } = setup({ filter });
    expect(channel.offer(notification)).toBe(result);
  });

  it("rate limit: 2 at once then 1 a minute; critical and test messages are exempt; each refusal is recorded", async () => {
    const { clock, repository, transport, channel } = setup({ rateLimit: { capacity: 2, perMinute: 1 } });
    expect(["a", "b", "c"].map((id) => channel.offer(note(id)))).toEqual(["queued", "queued", "rate_limited"]);
    expect(channel.offer(note("stop", "critical"))).toBe("queued");
    expect(channel.offer(note("t", "info", { kind: "test" }))).toBe("queued");
    clock.advance(59_999);
    expect(channel.offer(note("d"))).toBe("rate_limited");
    clock.advance(1);
    expect(channel.offer(note("e"))).toBe("queued");
    expect(repository.list().map((a) => [a.notificationId, a.outcome])).toEqual([
      ["c", "rate_limited"],
      ["d", "rate_limited"],
    ]);
    // Delivered in the order offered, one at a time.
    await settle();
    expect(transport.sent).toEqual(["a"]);
    transport.succeed();
    await waitForAttempt(repository, (a) => a.notificationId === "a");
    await settle();
    expect(transport.sent).toEqual(["a", "b"]);
  });

  it("a full queue makes room by dropping the oldest waiting notification of the lowest severity, never a more severe one", () => {
    const { repository, channel } = setup({ maxQueue: 3 });
    channel.offer(note("in-flight", "info"));
    channel.offer(note("w1", "warning"));
    channel.offer(note("i1", "info"));
    expect(channel.offer(note("c1", "critical"))).toBe("queued"); // i1 (info) makes room
    expect(channel.offer(note("w2", "warning"))).toBe("queued"); // w1 (oldest warning) makes room
    expect(channel.offer(note("i2", "info"))).toBe("dropped"); // only warning/critical wait: the newcomer goes
    expect(repository.list().map((a) => [a.notificationId, a.outcome])).toEqual([
      ["i1", "dropped"],
      ["w1", "dropped"],
      ["i2", "dropped"],
    ]);
    expect(channel.pending).toBe(3);
  });

  it("backoff doubles from the base and stops at the cap; the failing notification holds the ones behind it", async () => {
    expect([1, 2, 3, 4, 5].map((attempt) => backoffDelay({ maxAttempts: 9, baseDelayMs: 1_000, maxDelayMs: 5_000 }, attempt))).toEqual([
      1_000, 2_000, 4_000, 5_000, 5_000,
    ]);
    const { clock, scheduler, repository, transport, channel } = setup();
    channel.offer(note("first"));
    channel.offer(note("second"));
    await settle();
    const delays: number[] = [];
    for (let attempt = 1; attempt <= 4; attempt++) {
      transport.fail(new DeliveryError("HTTP 503 from s3cr3t-value host", true));
      const failed = await waitForAttempt(repository, (a) => a.attempt === attempt);
      delays.push(failed.nextAttemptAt! - clock.now());
      expect(failed.error).toBe("HTTP 503 from *** host");
      scheduler.runNext();
      await settle();
    }
    expect(delays).toEqual([1_000, 2_000, 4_000, 5_000]);
    expect(transport.sent).toEqual(["first", "first", "first", "first", "first"]);
    transport.succeed();
    await waitForAttempt(repository, (a) => a.outcome === "delivered");
    await settle();
    expect(transport.sent.at(-1)).toBe("second");
  });

  it("close() during an attempt: idle() resolves once that attempt ends, and nothing more is sent", async () => {
    const { transport, channel } = setup();
    channel.offer(note("a"));
    channel.offer(note("b"));
    await settle();
    channel.close();
    let isIdle = false;
    const idle = channel.idle().then(() => (isIdle = true));
    await settle();
    expect(isIdle).toBe(false);
    transport.succeed();
    await idle;
    expect(transport.sent).toEqual(["a"]);
  });

  it("a plain Error from a transport (a bug, a socket) is retried like a network failure", async () => {
    const { repository, transport, channel } = setup();
    channel.offer(note("x"));
    await settle();
    transport.fail(new Error("socket hang up"));
    expect(await waitForAttempt(repository, () => true)).toMatchObject({ outcome: "failed", error: "socket hang up" });
  });

  it("a repository that throws never reaches the caller", () => {
    const { clock, scheduler } = fakeTime(0);
    const channel = new NotificationChannel({
      name: "broken-log",
      transport: new HeldTransport(),
      clock,
      timers: scheduler,
      repository: {
        record: () => {
          throw new Error("disk full");
        },
      },
      secrets: [],
      rateLimit: { capacity: 1, perMinute: 1 },
    });
    expect(channel.offer(note("a"))).toBe("queued");
    expect(() => channel.offer(note("b"))).not.toThrow();
  });

  it("idle() resolves once the queue is empty; close() cancels the pending retry and refuses new offers", async () => {
    const { scheduler, repository, transport, channel } = setup();
    await channel.idle();
    channel.offer(note("a"));
    let isIdle = false;
    void channel.idle().then(() => (isIdle = true));
    await settle();
    transport.fail(new DeliveryError("down", true));
    await waitForAttempt(repository, () => true);
    expect(scheduler.pending).toBe(1);
    expect(isIdle).toBe(false);
    channel.close();
    expect(scheduler.pending).toBe(0);
    await channel.idle();
    expect(channel.offer(note("b"))).toBe("filtered");
  });
});
