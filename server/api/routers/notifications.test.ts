import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { db } from "../../db/client";
import { SIGNATURE_HEADER, verifyWebhookSignature } from "../../notify";
import { callerFor, openTestDesk, trpcError, type TestDesk } from "../../../test/desk-support";
import { attachNotifications, type DeskNotificationsUnderTest } from "../../../test/notify/desk-notifications";
import { closedPort, startHttpReceiver, type HttpReceiver } from "../../../test/notify/receivers";

const SECRET = "router-test-webhook-secret-0123456789";

let desk: TestDesk;
let receiver: HttpReceiver;
let wired: DeskNotificationsUnderTest;
let downPort: number;

beforeEach(async () => {
  desk = await openTestDesk();
  receiver = await startHttpReceiver();
  downPort = await closedPort();
  wired = attachNotifications(desk, [
    // A token in the path, as Slack-style receivers have: it must never reach the page.
    { type: "webhook", name: "ops", url: `${receiver.url}/hooks/T0KEN-in-path`, secret: SECRET, kinds: ["breaker"], minSeverity: "warning" },
    { type: "webhook", name: "down", url: `http://127.0.0.1:${downPort}/x`, secret: SECRET },
  ]);
});
afterEach(async () => {
  wired.close();
  await receiver.close();
  await desk.close();
});

describe("notifications.channels (viewer)", () => {
  it("lists each channel with its filter, rate limit and target host only, never a secret or the URL's path", async () => {
    const { channels } = await callerFor("viewer").notifications.channels();
    expect(channels.map((c) => [c.name, c.type, c.target, c.enabled])).toEqual([
      ["ops", "webhook", `127.0.0.1:${receiver.port}`, true],
      ["down", "webhook", `127.0.0.1:${downPort}`, true],
    ]);
    expect(channels[0]).toMatchObject({ kinds: ["breaker"], defaultKinds: false, minSeverity: "warning", rateLimit: { capacity: 10, perMinute: 10 } });
    expect(channels[1]).toMatchObject({ kinds: ["emergency", "breaker", "protection", "test"], defaultKinds: true, lastDeliveredAt: null, lastError: null });
    const text = JSON.stringify(channels);
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain("T0KEN");
    expect(text).not.toContain("/hooks");
  });

  it("needs a session", async () => {
    expect((await trpcError(callerFor(null).notifications.channels())).code).toBe("UNAUTHORIZED");
    expect((await trpcError(callerFor(null).notifications.deliveries({}))).code).toBe("UNAUTHORIZED");
  });
});

describe("notifications.sendTest (admin, audited)", () => {
  it("sends a signed test message past the channel's filter, records the delivery and the audit row", async () => {
    const delivered = wired.nextAttempt((a) => a.channel === "ops" && a.outcome === "delivered");
    const answer = await callerFor("admin").notifications.sendTest({ channel: "ops" });
    expect(answer.message).toContain("Test message to ops queued");
    const request = await receiver.next();
    expect(verifyWebhookSignature(String(request.headers[SIGNATURE_HEADER.toLowerCase()]), request.body, SECRET, desk.clock.now())).toMatchObject({ ok: true });
    expect(JSON.parse(request.body)).toMatchObject({ kind: "test", severity: "info", title: "Test message from Bastion (ops)" });
    await delivered;

    const { rows } = await callerFor("viewer").notifications.deliveries({});
    expect(rows.map((r) => [r.channel, r.kind, r.outcome, r.attempt, r.error])).toEqual([["ops", "test", "delivered", 1, null]]);
    const { channels } = await callerFor("viewer").notifications.channels();
    expect(channels.find((c) => c.name === "ops")).toMatchObject({ lastDeliveredAt: desk.clock.now(), lastError: null });

    const audit = await db().auditLog.findMany({ where: { action: "notifications.sendTest" } });
    expect(audit.map((a) => [a.actor, a.role, a.target, a.result])).toEqual([["ada", "admin", "ops", "OK"]]);
  });

  it("shows a channel that is down with its last error", async () => {
    const failed = wired.nextAttempt((a) => a.channel === "down" && a.outcome === "failed");
    await callerFor("admin").notifications.sendTest({ channel: "down" });
    await failed;
    const { channels } = await callerFor("admin").notifications.channels();
    const down = channels.find((c) => c.name === "down")!;
    expect(down.lastDeliveredAt).toBeNull();
    expect(down.lastError?.message).toMatch(/ECONNREFUSED|fetch failed/);
    const { rows } = await callerFor("admin").notifications.deliveries({ channel: "down" });
    expect(rows[0]).toMatchObject({ channel: "down", outcome: "failed", attempt: 1 });
    // Viewers read a transport's own text as a sentence of ours (api/venue-errors.ts): no errno, no URL.
    const forViewer = JSON.stringify(await callerFor("viewer").notifications.channels());
    expect(forViewer).not.toMatch(/ECONNREFUSED|127\.0\.0\.1:\d+\//);
  });

  it("is for admins only; an unknown channel is refused in words and audited", async () => {
    expect((await trpcError(callerFor("viewer").notifications.sendTest({ channel: "ops" }))).code).toBe("FORBIDDEN");
    expect((await trpcError(callerFor("trader").notifications.sendTest({ channel: "ops" }))).code).toBe("FORBIDDEN");
    const refused = await trpcError(callerFor("admin").notifications.sendTest({ channel: "pager" }));
    expect(refused.message).toBe("There is no notification channel named pager.");
    expect(refused.domainCode).toBe("UNKNOWN_CHANNEL");
    const audit = await db().auditLog.findMany({ where: { action: "notifications.sendTest" } });
    expect(audit.map((a) => [a.actor, a.target, a.result])).toEqual([["ada", "pager", "REFUSED"]]);
    expect(receiver.requests).toEqual([]);
  });
});

describe("notifications.deliveries (viewer)", () => {
  it("pages newest first by id and refuses malformed filters with plain messages", async () => {
    for (let i = 0; i < 3; i++) {
      const delivered = wired.nextAttempt((a) => a.channel === "ops" && a.outcome === "delivered");
      await callerFor("admin").notifications.sendTest({ channel: "ops" });
      await delivered;
    }
    const viewer = callerFor("viewer");
    const first = await viewer.notifications.deliveries({ limit: 2 });
    expect(first.rows).toHaveLength(2);
    expect(first.rows[0]!.id).toBeGreaterThan(first.rows[1]!.id);
    expect(first.nextCursor).toBe(first.rows[1]!.id);
    const second = await viewer.notifications.deliveries({ limit: 2, cursor: first.nextCursor });
    expect(second.rows).toHaveLength(1);
    expect(second.nextCursor).toBeNull();
    for (const [input, message] of [
      [{ limit: 0 }, "limit must be 1 to 200"],
      [{ limit: 201 }, "limit must be 1 to 200"],
      [{ cursor: -1 }, "cursor must be a delivery id"],
      [{ channel: "<script>" }, "channel must be a channel name"],
      [{ extra: 1 }, "extra"],
    ] as const) {
      const error = await trpcError(viewer.notifications.deliveries(input as never));
      expect(error.code).toBe("BAD_REQUEST");
      expect(error.message).toContain(message);
    }
  });
});
