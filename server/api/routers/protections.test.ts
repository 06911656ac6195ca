import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { callerFor, openTestDesk, trpcError, type TestDesk } from "../../../test/desk-support";

let desk: TestDesk;

beforeEach(async () => {
  desk = await openTestDesk({ engine: { protections: {} } });
  // A flash move (−7 % in a second) locks BTC/USDT with the default settings.
  await desk.quote(18_600);
});
afterEach(async () => {
  await desk.close();
});

describe("protections.list (viewer) and protections.lift (admin)", () => {
  it("lists the lock and the firing; only an admin lifts it, with a reason, and the lift is audited", async () => {
    const listed = await callerFor("viewer").protections.list();
    expect(listed.locks).toMatchObject([
      {
        rule: "FLASH_MOVE",
        scope: { kind: "symbol", symbol: "BTC/USDT" },
        scopeLabel: "BTC/USDT",
        since: desk.clock.now(),
        until: desk.clock.now() + 30 * 60_000,
      },
    ]);
    expect(listed.firings).toMatchObject([{ rule: "FLASH_MOVE", action: "LOCK_SYMBOL", lockMinutes: 30 }]);
    expect(JSON.parse(JSON.stringify(listed))).toEqual(listed);
    // The overview's alerts (the header's list) show the firing.
    const { alerts } = await callerFor("viewer").overview.summary();
    expect(alerts.some((a) => a.level === "error" && a.message.startsWith("Protection FLASH_MOVE (LOCK_SYMBOL): BTC/USDT"))).toBe(true);
    const lockId = listed.locks[0]!.id;

    expect((await trpcError(callerFor(null).protections.list())).code).toBe("UNAUTHORIZED");
    expect((await trpcError(callerFor("viewer").protections.lift({ lockId, reason: "let me" }))).code).toBe("FORBIDDEN");
    expect((await trpcError(callerFor("trader").protections.lift({ lockId, reason: "let me" }))).code).toBe("FORBIDDEN");
    expect((await trpcError(callerFor("admin").protections.lift({ lockId, reason: "" }))).code).toBe("BAD_REQUEST");
    const missing = await trpcError(callerFor("admin").protections.lift({ lockId: "lck-nope", reason: "checked the feed" }));
    expect(missing.domainCode).toBe("LOCK_NOT_FOUND");

    const lifted = await callerFor("admin").protections.lift({ lockId, reason: "checked the feed" });
    expect(lifted.message).toContain("lifted by ada: checked the feed");
    expect((await callerFor("viewer").protections.list()).locks).toEqual([]);
    const rows = desk.store.listAudit().filter((r) => r.action === "lift_protection_lock");
    expect(rows.map((r) => [r.actor, r.role, r.target, r.reason, r.result])).toEqual([
      ["ada", "admin", "lck-nope", "checked the feed", "REFUSED"],
      ["ada", "admin", lockId, "checked the feed", "OK"],
    ]);
  });
});
