/**
 * The alert center on a real engine and a real SQLite file: a flash move, a breaker trip and a slipped fill become
 * stored alerts (deduplicated by key), nothing is processed on the engine's own turn, an acknowledgement is audited with
 * who and why, and a restart goes on counting on the stored occurrences. The alerts router reads them through Prisma.
 */
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DEFAULT_ALERT_SETTINGS } from "../core/alerts";
import { sequentialIds } from "../core/ids";
import { openAlertLog, type SqliteAlertLog } from "../db/alerts";
import { callerFor, openTestDesk, trpcError, type TestDesk } from "../../test/desk-support";
import { startAlerts, type DeskAlerts } from "./alerts";
import { runtimeState } from "./runtime";

const TINA = { username: "tina", role: "trader" as const };

/** Timers that only run when the test says so: whatever the listener queued waits for flush(). */
class HeldTimers {
  pending = 0;
  setTimeout(): unknown {
    this.pending++;
    return this.pending;
  }
  clearTimeout(): void {
    this.pending = 0;
  }
}

let desk: TestDesk;
let log: SqliteAlertLog;
let alerts: DeskAlerts;
let timers: HeldTimers;

// Any slippage counts by default here, so a market order's half-spread is enough to raise one.
const ANY_SLIPPAGE = { ...DEFAULT_ALERT_SETTINGS, slippageWarnBps: 0.01, slippageCriticalBps: 10_000 };

function start(idSpace = "a", settings = ANY_SLIPPAGE): DeskAlerts {
  log = openAlertLog({ url: desk.tdb.path });
  timers = new HeldTimers();
  alerts = startAlerts({
    bus: desk.engine.bus,
    repository: log,
    store: desk.store,
    clock: desk.clock,
    timers,
    ids: sequentialIds(idSpace),
    settings,
    requestedPrice: (clientOrderId) => desk.store.getOrder(clientOrderId)?.meta.requestedPrice?.toString() ?? null,
    orderOf: (clientOrderId) => desk.store.getOrder(clientOrderId)?.order ?? null,
  });
  const runtime = runtimeState().runtime;
  if (runtime) runtime.alerts = alerts;
  return alerts;
}

function rows(sql: string): Record<string, unknown>[] {
  const db = new Database(desk.tdb.path, { readonly: true });
  try {
    return db.prepare(sql).all() as Record<string, unknown>[];
  } finally {
    db.close();
  }
}

beforeEach(async () => {
  desk = await openTestDesk({ engine: { protections: { flashMove: { action: "ALERT" } }, breaker: {} } });
  start();
});
afterEach(async () => {
  alerts.close();
  log.close();
  await desk.close();
});

describe("the alert center on the engine's bus", () => {
  it("turns a flash move into one stored alert per key, counting repeats, and nothing runs on the engine's turn", async () => {
    await desk.quote(21_500); // +7.5 % within a second
    expect(timers.pending).toBeGreaterThan(0);
    expect(rows("SELECT * FROM alerts")).toEqual([]);
    alerts.flush();
    await desk.quote(23_000); // a second firing on the same symbol
    alerts.flush();
    const stored = rows("SELECT key, kind, severity, count, status, firstSeen, lastSeen FROM alerts");
    expect(stored).toEqual([
      {
        key: "PROTECTION:FLASH_MOVE:BTC/USDT",
        kind: "PROTECTION",
        severity: "warning",
        count: 2,
        status: "ACTIVE",
        firstSeen: desk.clock.now() - 1_000,
        lastSeen: desk.clock.now(),
      },
    ]);
    expect(rows("SELECT change FROM alert_history ORDER BY id")).toEqual([{ change: "RAISED" }, { change: "REPEATED" }]);
    expect(alerts.summary()).toMatchObject({ total: 1, highest: "warning" });
  });

  it("raises a breaker trip (critical) and resolves it on reset", async () => {
    expect((await desk.engine.execute({ kind: "tripBreaker", actor: TINA, reason: "drill" })).ok).toBe(true);
    alerts.flush();
    expect(rows("SELECT key, severity, status FROM alerts")).toEqual([{ key: "BREAKER", severity: "critical", status: "ACTIVE" }]);
    const reset = await desk.engine.execute({ kind: "resetBreaker", actor: { username: "ada", role: "admin" }, reason: "drill over", force: true });
    expect(reset.ok).toBe(true);
    alerts.flush();
    expect(rows("SELECT key, status FROM alerts")).toEqual([{ key: "BREAKER", status: "RESOLVED" }]);
  });

  it("measures a fill against its order's requested price", async () => {
    // Asked at the mark (the mid, 20000); the simulator fills a market buy at the ask, half a spread higher.
    await desk.order({ symbol: "BTC/USDT", side: "BUY", type: "MARKET", quantity: "0.01" });
    alerts.flush();
    const [slipped] = rows("SELECT key, kind, message FROM alerts WHERE kind = 'SLIPPAGE'");
    expect(slipped).toMatchObject({ key: "SLIPPAGE:BTC/USDT", kind: "SLIPPAGE" });
    expect(String(slipped!.message)).toMatch(/bps worse than the 20000/);
  });

  it("measures a stop's fill against its trigger (its arrival price), not the market when it was placed", async () => {
    alerts.close();
    log.close();
    await desk.close();
    // No exit rules: the stop below is the only thing that sells.
    desk = await openTestDesk({ engine: { defaultSymbolSettings: { stopLossPct: null, takeProfitLevels: [], trailing: null, maxAgeMinutes: null } } });
    start("b", DEFAULT_ALERT_SETTINGS);
    await desk.order({ symbol: "BTC/USDT", side: "BUY", type: "MARKET", quantity: "0.01" });
    // Placed with the market at 20000: its requested price is that mark, 5 % above where it can fill.
    await desk.order({ symbol: "BTC/USDT", side: "SELL", type: "STOP_MARKET", quantity: "0.01", triggerPrice: "19000" });
    await desk.quote(18_990);
    // The simulator triggers on the last trade price (the stop's trigger source), then fills at the bid.
    desk.clock.advance(1000);
    await desk.engine.marketData({ kind: "trade", symbol: "BTC/USDT", price: 18_990, qty: 1 });
    const stop = desk.store.loadOrders({ onlyOpen: false }).find((r) => r.order.type === "STOP_MARKET")!;
    expect(stop.order.status).toBe("FILLED");
    expect(stop.meta.requestedPrice?.toNumber()).toBeGreaterThanOrEqual(20_000);
    alerts.flush();
    // 5.5 bps below its trigger (the bid, 18989.5): under the 50 bps bound. Against the mark at placement it read 505 bps, critical.
    expect(rows("SELECT key FROM alerts WHERE kind = 'SLIPPAGE'")).toEqual([]);
  });

  it("acknowledges with who and why (audited); the router lists, counts and refuses a viewer", async () => {
    await desk.quote(21_500);
    alerts.flush();
    const [alert] = alerts.unacknowledged();
    const viewer = callerFor("viewer");
    expect(await viewer.alerts.summary()).toEqual({ total: 1, bySeverity: { info: 0, warning: 1, critical: 0 }, highest: "warning" });
    const listed = await viewer.alerts.list({ severity: "warning" });
    expect(listed.active.map((a) => a.id)).toEqual([alert!.id]);
    expect((await viewer.alerts.list({ kind: "BREAKER" })).active).toEqual([]);

    expect((await trpcError(viewer.alerts.acknowledge({ id: alert!.id, reason: "seen it" }))).code).toBe("FORBIDDEN");
    const trader = callerFor("trader");
    expect((await trader.alerts.acknowledge({ id: alert!.id, reason: "checked the chart" })).message).toContain("acknowledged");
    expect((await trpcError(trader.alerts.acknowledge({ id: alert!.id, reason: "again" }))).domainCode).toBe("ALREADY_ACKNOWLEDGED");

    expect(await viewer.alerts.summary()).toMatchObject({ total: 0, highest: null });
    const after = await viewer.alerts.list({});
    expect(after.active).toEqual([]);
    expect(after.history).toMatchObject([{ id: alert!.id, acknowledgedBy: "tina", acknowledgeReason: "checked the chart" }]);
    expect((await viewer.alerts.history({ id: alert!.id })).changes.map((c) => c.change)).toEqual(["RAISED", "ACKNOWLEDGED"]);
    expect(rows("SELECT actor, action, target, reason, result FROM audit_log WHERE action = 'alerts.acknowledge'")).toEqual([
      { actor: "tina", action: "alerts.acknowledge", target: alert!.id, reason: "checked the chart", result: "OK" },
      { actor: "tina", action: "alerts.acknowledge", target: alert!.id, reason: "again", result: "REFUSED" },
    ]);
  });

  it("goes on counting on the stored occurrence after a restart", async () => {
    await desk.quote(21_500);
    alerts.flush();
    alerts.close();
    log.close();
    start("b"); // new ids: a restored key must not open a second occurrence
    await desk.quote(23_500);
    alerts.flush();
    expect(rows("SELECT id, count FROM alerts")).toEqual([{ id: "alr-a-1", count: 2 }]);
  });

  it("reports connectivity lost and regained once each", () => {
    alerts.connectivity("market data", false, "feed silent for 30 s");
    alerts.connectivity("market data", false, "feed silent for 32 s");
    alerts.flush();
    expect(rows("SELECT key, severity, status, count FROM alerts")).toEqual([
      { key: "CONNECTIVITY:market data", severity: "critical", status: "ACTIVE", count: 1 },
    ]);
    alerts.connectivity("market data", true, "feed back");
    alerts.flush();
    expect(rows("SELECT status FROM alerts")).toEqual([{ status: "RESOLVED" }]);
  });
});
