/**
 * The webhook channel against a local HTTP receiver (node:http on port 0): the signed contract, a receiver that is
 * down (connection refused, then HTTP 500) with retries and backoff on a fake clock, and the bounded queue that
 * keeps a hanging receiver from slowing the caller. Tests wait on recorded delivery attempts, never on time.
 */
import { afterEach, describe, expect, it } from "vitest";
import { closedPort, type HttpReceiver, startHttpReceiver } from "../../test/notify/receivers";
import { fakeTime, waitForAttempt } from "../../test/notify/support";
import { NotificationChannel } from "./channel";
import { InMemoryDeliveryRepository } from "./delivery-log";
import { type Notification } from "./types";
import { SIGNATURE_HEADER, WebhookTransport, signWebhookBody, verifyWebhookSignature } from "./webhook";

const SECRET = "whsec-9f2c4b7e1a3d5f6081a2";

const notification = (id: string, overrides: Partial<Notification> = {}): Notification => ({
  id,
  kind: "protection",
  severity: "critical",
  ts: Date.parse("2023-03-11T08:04:00Z"),
  title: "Protection FLASH_MOVE fired on BTC/USDC: LOCK_SYMBOL",
  detail: "BTC/USDC fell 1.88% within 1 min (from 22428.11 to 22006.31).",
  symbol: "BTC/USDC",
  ...overrides,
});

const receivers: HttpReceiver[] = [];
const channels: NotificationChannel[] = [];
afterEach(async () => {
  for (const channel of channels.splice(0)) channel.close();
  await Promise.all(receivers.splice(0).map((receiver) => receiver.close()));
});

function webhookChannel(url: string, options: { maxAttempts?: number; maxQueue?: number } = {}) {
  const { clock, scheduler } = fakeTime();
  const repository = new InMemoryDeliveryRepository();
  const channel = new NotificationChannel({
    name: "ops-webhook",
    transport: new WebhookTransport({ url, secret: SECRET, clock, timers: scheduler }),
    retry: { maxAttempts: options.maxAttempts ?? 4, baseDelayMs: 2_000, maxDelayMs: 60_000 },
    maxQueue: options.maxQueue ?? 100,
    rateLimit: null,
    clock,
    timers: scheduler,
    repository,
    secrets: [SECRET],
  });
  channels.push(channel);
  return { clock, scheduler, repository, channel };
}

describe("webhook channel", () => {
  it("POSTs { id, kind, severity, ts, title, detail } signed t=<unix seconds>,v1=<HMAC-SHA256 of t.body>", async () => {
    const receiver = await startHttpReceiver();
    receivers.push(receiver);
    const { clock, repository, channel } = webhookChannel(`${receiver.url}/hooks/bastion?team=ops`);

    expect(channel.offer(notification("ntf-1"))).toBe("queued");
    const request = await receiver.next();

    expect(request.method).toBe("POST");
    expect(request.url).toBe("/hooks/bastion?team=ops");
    expect(request.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(request.body)).toEqual({
      id: "ntf-1",
      kind: "protection",
      severity: "critical",
      ts: Date.parse("2023-03-11T08:04:00Z"),
      title: "Protection FLASH_MOVE fired on BTC/USDC: LOCK_SYMBOL",
      detail: "BTC/USDC fell 1.88% within 1 min (from 22428.11 to 22006.31).",
    });
    const header = request.headers[SIGNATURE_HEADER.toLowerCase()] as string;
    const t = Math.floor(clock.now() / 1000);
    expect(header).toMatch(new RegExp(`^t=${t},v1=[0-9a-f]{64}$`));
    // The receiver's check, on the raw body as received.
    expect(verifyWebhookSignature(header, request.body, SECRET, clock.now())).toEqual({ ok: true, unixSeconds: t });
    expect(verifyWebhookSignature(header, request.body.replace("1.88", "9.99"), SECRET, clock.now())).toEqual({ ok: false, reason: "BAD_SIGNATURE" });
    expect(verifyWebhookSignature(header, request.body, "another-secret-of-length", clock.now())).toEqual({ ok: false, reason: "BAD_SIGNATURE" });
    expect(verifyWebhookSignature(header, request.body, SECRET, clock.now() + 301_000)).toEqual({ ok: false, reason: "STALE" });
    expect(verifyWebhookSignature("v1=abc", request.body, SECRET, clock.now())).toEqual({ ok: false, reason: "MALFORMED" });

    const delivered = await waitForAttempt(repository, (a) => a.outcome === "delivered");
    expect(delivered).toMatchObject({ channel: "ops-webhook", notificationId: "ntf-1", attempt: 1, error: null });
  });

  it("signWebhookBody matches an HMAC computed independently (node:crypto by hand)", async () => {
    const { createHmac } = await import("node:crypto");
    const body = '{"id":"x"}';
    expect(signWebhookBody(body, SECRET, 1678521840)).toBe(`t=1678521840,v1=${createHmac("sha256", SECRET).update(`1678521840.${body}`).digest("hex")}`);
  });

  it("a receiver that is down (connection refused): retries after 2 s, 4 s, 8 s on the fake clock, then gives up", async () => {
    const port = await closedPort();
    const { clock, scheduler, repository, channel } = webhookChannel(`http://127.0.0.1:${port}/hook`, { maxAttempts: 4 });
    const start = clock.now();
    expect(channel.offer(notification("ntf-down"))).toBe("queued");

    for (const [attempt, delay] of [
      [1, 2_000],
      [2, 4_000],
      [3, 8_000],
    ] as const) {
      const failed = await waitForAttempt(repository, (a) => a.attempt === attempt);
      expect(failed).toMatchObject({ outcome: "failed", nextAttemptAt: clock.now() + delay });
      expect(failed.error).toMatch(/^webhook http:\/\/127\.0\.0\.1:\d+ could not be reached \(ECONNREFUSED\)\.$/);
      expect(scheduler.pending).toBe(1);
      expect(scheduler.nextDue()).toBe(clock.now() + delay);
      scheduler.runNext();
    }
    const last = await waitForAttempt(repository, (a) => a.attempt === 4);
    expect(last.outcome).toBe("gave_up");
    expect(clock.now() - start).toBe(2_000 + 4_000 + 8_000);
    await channel.idle();
    expect(channel.pending).toBe(0);
  });

  it("HTTP 500 twice, then 200: delivered on the third attempt; the receiver's words are kept with the secret scrubbed", async () => {
    const receiver = await startHttpReceiver((_request, index) =>
      index < 2 ? { status: 500, body: `{"error":"database down","echo":"${SECRET}"}` } : { status: 204 },
    );
    receivers.push(receiver);
    const { scheduler, repository, channel } = webhookChannel(`${receiver.url}/hook`);
    channel.offer(notification("ntf-500"));

    const first = await waitForAttempt(repository, (a) => a.attempt === 1);
    expect(first.outcome).toBe("failed");
    expect(first.error).toBe(`webhook ${receiver.url} answered HTTP 500: {"error":"database down","echo":"***"}`);
    scheduler.runNext();
    await waitForAttempt(repository, (a) => a.attempt === 2);
    scheduler.runNext();
    const third = await waitForAttempt(repository, (a) => a.attempt === 3);
    expect(third).toMatchObject({ outcome: "delivered", error: null });
    expect(receiver.requests.map((r) => (JSON.parse(r.body) as { id: string }).id)).toEqual(["ntf-500", "ntf-500", "ntf-500"]);
    expect(repository.list().some((a) => JSON.stringify(a).includes(SECRET))).toBe(false);
  });

  it("HTTP 400 is not retried: given up at once", async () => {
    const receiver = await startHttpReceiver(() => ({ status: 400, body: "bad payload" }));
    receivers.push(receiver);
    const { scheduler, repository, channel } = webhookChannel(`${receiver.url}/hook`);
    channel.offer(notification("ntf-400"));
    expect(await waitForAttempt(repository, () => true)).toMatchObject({ attempt: 1, outcome: "gave_up" });
    expect(scheduler.pending).toBe(0);
  });

  it("a hanging receiver never slows the caller: offers return at once, the queue stops at its bound, the rest is recorded as dropped", async () => {
    const receiver = await startHttpReceiver(() => "hang");
    receivers.push(receiver);
    const { repository, channel } = webhookChannel(`${receiver.url}/hook`, { maxQueue: 3 });
    const results = ["a", "b", "c", "d", "e"].map((id) => channel.offer(notification(id, { severity: "warning" })));
    expect(results).toEqual(["queued", "queued", "queued", "queued", "queued"]);
    // The first is in flight and never evicted; each newcomer of equal severity replaces the oldest waiting one.
    expect(channel.pending).toBe(3);
    expect(repository.list().map((a) => [a.notificationId, a.outcome])).toEqual([
      ["b", "dropped"],
      ["c", "dropped"],
    ]);
    await receiver.next();
    expect(receiver.requests).toHaveLength(1);
  });
});
