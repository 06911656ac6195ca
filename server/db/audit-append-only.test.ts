/**
 * The audit log is append-only in the database itself (a trigger), and a settings change commits with its audit
 * entry or not at all (DESIGN.md invariant 9).
 */
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { callerFor, openTestDesk, trpcError, type TestDesk } from "../../test/desk-support";

let desk: TestDesk;
beforeEach(async () => {
  desk = await openTestDesk({ engine: { breaker: {} } });
});
afterEach(async () => {
  await desk.close();
});

describe("audit_log refuses UPDATE and DELETE", () => {
  it("through Prisma, through the engine's connection, and through any other", async () => {
    await callerFor("trader").breaker.pause({ reason: "lunch" });
    const [row] = await desk.tdb.client.auditLog.findMany();
    expect(row).toMatchObject({ action: "pause", actor: "tina" });
    await expect(desk.tdb.client.auditLog.update({ where: { id: row!.id }, data: { actor: "someone else" } })).rejects.toThrow(/append-only/);
    await expect(desk.tdb.client.auditLog.deleteMany({})).rejects.toThrow(/append-only/);
    const other = new Database(desk.tdb.path);
    try {
      expect(() => other.prepare("DELETE FROM audit_log").run()).toThrow(/an audit entry cannot be deleted/);
      expect(() => other.prepare("UPDATE audit_log SET result = 'OK'").run()).toThrow(/an audit entry cannot be changed/);
    } finally {
      other.close();
    }
    expect(await desk.tdb.client.auditLog.findMany()).toEqual([row]);
  });
});

describe("a settings change and its audit entry commit together", () => {
  /** Makes every audit insert fail, as a full disk would. */
  function breakAuditWrites(): void {
    const other = new Database(desk.tdb.path);
    other.exec("CREATE TRIGGER test_audit_fails BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END;");
    other.close();
  }

  it.each([
    ["risk limits", () => callerFor("admin").settings.setRiskLimits({ maxOpenPositions: 1 })],
    ["a symbol's settings", () => callerFor("admin").settings.setSymbol({ symbol: "BTC/USDT", settings: { enabled: false } as never })],
    ["the breaker config", () => callerFor("admin").settings.setBreakerConfig({ maxDailyLossPct: 1 } as never)],
  ])("%s: when the audit entry cannot be written, nothing changes (store and memory)", async (_what, change) => {
    const before = desk.engine.riskSettings();
    const stateBefore = await desk.tdb.client.systemState.findMany({ orderBy: { key: "asc" }, select: { key: true, value: true } });
    breakAuditWrites();
    const e = await trpcError(change());
    expect(e.message).toMatch(/not saved: disk I\/O error/);
    expect(desk.engine.riskSettings()).toEqual(before);
    expect(await desk.tdb.client.systemState.findMany({ orderBy: { key: "asc" }, select: { key: true, value: true } })).toEqual(stateBefore);
    expect(await desk.tdb.client.symbolSetting.count()).toBe(0);
  });

  it("a saved change has its audit entry", async () => {
    await callerFor("admin").settings.setRiskLimits({ maxOpenPositions: 1 });
    expect(await desk.tdb.client.auditLog.findMany({ select: { action: true, result: true, actor: true } })).toEqual([
      { action: "set_risk_limits", result: "OK", actor: "ada" },
    ]);
  });
});
