/**
 * Notifications wired to a real engine on a real SQLite file: an emergency stop (an engine command) reaches a local
 * webhook receiver as a signed JSON POST and is recorded in notification_deliveries; a channel that is down records
 * its error and never holds up the command. Tests wait on arrivals and recorded attempts, never on time.
 */
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SIGNATURE_HEADER, verifyWebhookSignature } from "../notify";
import { openTestDesk, type TestDesk } from "../../test/desk-support";
import { attachNotifications, type DeskNotificationsUnderTest } from "../../test/notify/desk-notifications";
import { closedPort, startHttpReceiver, type HttpReceiver } from "../../test/notify/receivers";

const SECRET = "a-webhook-secret-of-32-characters";
const TINA = { username: "tina", role: "trader" as const };

let desk: TestDesk;
let wired: DeskNotificationsUnderTest | null = null;
const receivers: HttpReceiver[] = [];

beforeEach(async () => {
  desk = await openTestDesk();
});
afterEach(async () => {
  wired?.close();
  wired = null;
  for (const receiver of receivers.splice(0)) await receiver.close();
  await desk.close();
});

function rowsOf(path: string): Record<string, unknown>[] {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare("SELECT channel, kind, severity, attempt, outcome, error FROM notification_deliveries ORDER BY id").all() as Record<string, unknown>[];
  } finally {
    db.close();
  }
}

describe("notifications on the engine's bus", () => {
  it("delivers an emergency stop to the webhook, signed, and records the delivery in SQLite", async () => {
    const receiver = await startHttpReceiver();
    receivers.push(receiver);
    wired = attachNotifications(desk, [{ type: "webhook", name: "ops", url: `${receiver.url}/hook`, secret: SECRET }]);
    const delivered = wired.nextAttempt((attempt) => attempt.outcome === "delivered" && attempt.kind === "emergency");

    const result = await desk.engine.execute({ kind: "emergencyStop", flatten: false, actor: TINA, reason: "drill" });
    expect(result.ok).toBe(true);

    const request = await receiver.next();
    expect(request.method).toBe("POST");
    expect(request.url).toBe("/hook");
    const signature = request.headers[SIGNATURE_HEADER.toLowerCase()];
    expect(verifyWebhookSignature(String(signature), request.body, SECRET, desk.clock.now())).toMatchObject({ ok: true });
    expect(verifyWebhookSignature(String(signature), request.body, "another-secret-of-enough-length", desk.clock.now())).toMatchObject({ ok: false });
    const body = JSON.parse(request.body) as Record<string, unknown>;
    expect(Object.keys(body)).toEqual(["id", "kind", "severity", "ts", "title", "detail"]);
    expect(body).toMatchObject({ kind: "emergency", severity: "critical", title: "Emergency stop: trading HALTED" });

    await delivered;
    expect(rowsOf(desk.tdb.path)).toContainEqual({ channel: "ops", kind: "emergency", severity: "critical", attempt: 1, outcome: "delivered", error: null });
  });

  it("a channel that is down records its error, and neither it nor a hanging receiver holds up the engine's command", async () => {
    const hanging = await startHttpReceiver(() => "hang");
    receivers.push(hanging);
    const down = await closedPort();
    wired = attachNotifications(desk, [
      { type: "webhook", name: "down", url: `http://127.0.0.1:${down}/hook`, secret: SECRET, maxAttempts: 3 },
      { type: "webhook", name: "slow", url: `${hanging.url}/hook`, secret: SECRET },
    ]);
    const failed = wired.nextAttempt((attempt) => attempt.channel === "down" && attempt.outcome === "failed");

    // The command completes while the slow receiver still holds its request open (it never answers).
    const result = await desk.engine.execute({ kind: "emergencyStop", flatten: false, actor: TINA, reason: "drill" });
    expect(result.ok).toBe(true);
    await hanging.next();
    expect(desk.engine.currentTradingState).toBe("HALTED");

    const attempt = await failed;
    expect(attempt).toMatchObject({ attempt: 1, kind: "emergency" });
    expect(attempt.error).toMatch(/ECONNREFUSED|fetch failed/);
    expect(attempt.nextAttemptAt).toBeGreaterThan(desk.clock.now());
    // Recorded in the table with its error; the secret appears nowhere in it.
    const rows = rowsOf(desk.tdb.path).filter((row) => row.channel === "down");
    expect(rows[0]).toMatchObject({ outcome: "failed", attempt: 1 });
    expect(String(rows[0]!.error)).toMatch(/ECONNREFUSED|fetch failed/);
    expect(JSON.stringify(rowsOf(desk.tdb.path))).not.toContain(SECRET);
    // The engine's queue still runs while both channels are stuck.
    await desk.quote(20_010);
    expect(desk.engine.lastPrices()["BTC/USDT"]).toBeDefined();
  });

  it("a protection firing on the bus is delivered by default", async () => {
    const receiver = await startHttpReceiver();
    receivers.push(receiver);
    wired = attachNotifications(desk, [{ type: "webhook", name: "ops", url: receiver.url, secret: SECRET }]);
    desk.engine.bus.publish({
      type: "protection",
      firing: {
        rule: "FLASH_MOVE",
        scope: { kind: "symbol", symbol: "BTC/USDT" },
        ts: desk.clock.now(),
        action: "HALT",
        lockMinutes: null,
        message: "BTC/USDT fell 6.10% within 1 min",
        measured: 6.1,
        bound: 5,
      },
    });
    const body = JSON.parse((await receiver.next()).body) as Record<string, unknown>;
    expect(body).toMatchObject({ kind: "protection", severity: "critical", title: "Protection FLASH_MOVE fired on BTC/USDT: HALT" });
  });
});
