import { describe, expect, it } from "vitest";
import { sequentialIds } from "../ids";
import { LockBook, type ProtectionLock } from "./locks";
import { type ProtectionFiring } from "./types";

const T0 = Date.parse("2018-01-15T14:10:00Z");
const MIN = 60_000;

function firing(overrides: Partial<ProtectionFiring>): ProtectionFiring {
  return {
    rule: "FLASH_MOVE",
    scope: { kind: "symbol", symbol: "XLM/BTC" },
    ts: T0,
    action: "LOCK_SYMBOL",
    lockMinutes: 30,
    message: "XLM/BTC rose 12.65% within 5 min.",
    measured: 12.65,
    bound: 5,
    ...overrides,
  };
}

describe("LockBook", () => {
  it.each([
    { action: "LOCK_SYMBOL", scope: { kind: "symbol", symbol: "XLM/BTC" }, expected: { scope: { kind: "symbol", symbol: "XLM/BTC" }, until: T0 + 30 * MIN } },
    {
      action: "LOCK_SYMBOL",
      scope: { kind: "strategy", strategy: "momentum" },
      expected: { scope: { kind: "strategy", strategy: "momentum" }, until: T0 + 30 * MIN },
    },
    { action: "PAUSE_ENTRIES", scope: { kind: "venue", venue: "bittrex" }, expected: { scope: { kind: "desk" }, until: null } },
    { action: "ALERT", scope: { kind: "symbol", symbol: "XLM/BTC" }, expected: null },
    { action: "HALT_CANCEL", scope: { kind: "symbol", symbol: "XLM/BTC" }, expected: null },
  ] as const)("a $action firing on $scope.kind locks $expected.scope.kind", ({ action, scope, expected }) => {
    const book = new LockBook(sequentialIds());
    const lock = book.lockForFiring(firing({ action, scope, lockMinutes: action === "LOCK_SYMBOL" ? 30 : null }));
    if (expected === null) expect(lock).toBeNull();
    else expect(lock).toMatchObject({ id: "lck-1", rule: "FLASH_MOVE", since: T0, reason: "XLM/BTC rose 12.65% within 5 min.", ...expected });
  });

  it("blocks entries on the locked symbol or strategy only, until the lock's end (exclusive)", () => {
    const book = new LockBook(sequentialIds());
    book.lockForFiring(firing({}));
    book.lockForFiring(firing({ rule: "STRATEGY_FAILURE", scope: { kind: "strategy", strategy: "momentum" }, lockMinutes: 240 }));
    expect(book.blockingLock({ symbol: "XLM/BTC", strategy: "sma" }, T0 + MIN)?.rule).toBe("FLASH_MOVE");
    expect(book.blockingLock({ symbol: "ETH/BTC", strategy: "momentum" }, T0 + MIN)?.rule).toBe("STRATEGY_FAILURE");
    expect(book.blockingLock({ symbol: "ETH/BTC", strategy: "sma" }, T0 + MIN)).toBeNull();
    expect(book.blockingLock({ symbol: "XLM/BTC" }, T0 + 30 * MIN - 1)).not.toBeNull();
    expect(book.blockingLock({ symbol: "XLM/BTC" }, T0 + 30 * MIN)).toBeNull();
    expect(LockBook.describe(book.active(T0)[0]!)).toBe("XLM/BTC is locked by FLASH_MOVE until 2018-01-15T14:40:00.000Z: XLM/BTC rose 12.65% within 5 min.");
  });

  it("a desk lock blocks every symbol and is reported first", () => {
    const book = new LockBook(sequentialIds());
    book.lockForFiring(firing({}));
    book.lockForFiring(firing({ rule: "SYSTEM_OVERLOAD", scope: { kind: "desk" }, action: "PAUSE_ENTRIES", lockMinutes: null, message: "lag" }));
    expect(book.blockingLock({ symbol: "XLM/BTC" }, T0)?.scope).toEqual({ kind: "desk" });
    expect(book.blockingLock({ symbol: "ANY" }, T0 + 1e9)?.rule).toBe("SYSTEM_OVERLOAD");
  });

  it("the same rule on the same scope extends the lock instead of adding one; a shorter one changes nothing", () => {
    const book = new LockBook(sequentialIds());
    book.lockForFiring(firing({}));
    const extended = book.lockForFiring(firing({ ts: T0 + 10 * MIN }));
    expect(extended).toMatchObject({ id: "lck-1", since: T0, until: T0 + 40 * MIN });
    book.lock({ rule: "FLASH_MOVE", scope: { kind: "symbol", symbol: "XLM/BTC" }, since: T0 + 11 * MIN, until: T0 + 12 * MIN, reason: "short" });
    expect(book.active(T0 + 11 * MIN)).toHaveLength(1);
    expect(book.history().map((entry) => entry.kind)).toEqual(["LOCKED", "EXTENDED"]);
  });

  it("expires each lock once, at its end, into the history", () => {
    const book = new LockBook(sequentialIds());
    book.lockForFiring(firing({}));
    expect(book.expire(T0 + 29 * MIN)).toEqual([]);
    expect(book.expire(T0 + 30 * MIN).map((lock) => lock.id)).toEqual(["lck-1"]);
    expect(book.expire(T0 + 31 * MIN)).toEqual([]);
    expect(book.history().at(-1)).toMatchObject({ kind: "EXPIRED", at: T0 + 30 * MIN });
  });

  it.each([
    { by: "", reason: "checked the feed", code: "LIFT_USER_REQUIRED" },
    { by: "alice", reason: "  ", code: "LIFT_REASON_REQUIRED" },
    { by: "alice", reason: "checked", id: "lck-99", code: "LOCK_NOT_FOUND" },
  ])("refuses a lift without $code", ({ by, reason, id, code }) => {
    const book = new LockBook(sequentialIds());
    book.lockForFiring(firing({}));
    const lifted = book.lift(id ?? "lck-1", { by, reason }, T0 + MIN);
    expect(lifted.ok).toBe(false);
    if (!lifted.ok) expect(lifted.error.code).toBe(code);
    expect(book.active(T0 + MIN)).toHaveLength(1);
  });

  it("an admin lifts a lock with a reason: entries allowed again, the lift kept with who and why", () => {
    const book = new LockBook(sequentialIds());
    book.lockForFiring(firing({}));
    const lifted = book.lift("lck-1", { by: "alice", reason: " feed checked, move was real " }, T0 + 5 * MIN);
    expect(lifted).toMatchObject({ ok: true, value: { id: "lck-1" } });
    expect(book.blockingLock({ symbol: "XLM/BTC" }, T0 + 5 * MIN)).toBeNull();
    expect(book.history().at(-1)).toMatchObject({ kind: "LIFTED", at: T0 + 5 * MIN, by: "alice", reason: "feed checked, move was real" });
  });

  it("survives a restart: the JSON snapshot restores the same locks, history and blocking", () => {
    const book = new LockBook(sequentialIds("a"));
    book.lockForFiring(firing({}));
    book.lockForFiring(firing({ rule: "VENUE_UNREACHABLE", scope: { kind: "venue", venue: "bittrex" }, action: "PAUSE_ENTRIES", lockMinutes: null }));
    book.lock({ rule: "MANUAL", scope: { kind: "strategy", strategy: "momentum" }, since: T0, until: null, reason: "model retraining" });
    const saved = JSON.parse(JSON.stringify(book.snapshot())) as unknown;

    const restored = LockBook.restore(saved, sequentialIds("b"));
    expect(restored.ok).toBe(true);
    if (!restored.ok) return;
    expect(restored.value.snapshot()).toEqual(book.snapshot());
    const active: ProtectionLock[] = restored.value.active(T0 + MIN);
    expect(active.map((lock) => [lock.rule, lock.scope.kind])).toEqual([
      ["FLASH_MOVE", "symbol"],
      ["VENUE_UNREACHABLE", "desk"],
      ["MANUAL", "strategy"],
    ]);
    expect(restored.value.lift("lck-a-2", { by: "alice", reason: "venue back" }, T0 + 2 * MIN).ok).toBe(true);
    expect(restored.value.expire(T0 + 30 * MIN).map((lock) => lock.id)).toEqual(["lck-a-1"]);
    // New locks after the restart take ids from the new generator.
    expect(restored.value.lock({ rule: "MANUAL", scope: { kind: "desk" }, since: T0 + 31 * MIN, until: null, reason: "x" }).id).toBe("lck-b-1");
  });

  it("refuses a snapshot it cannot read, with the reason", () => {
    const restored = LockBook.restore({ version: 1, locks: [{ id: "x", rule: "NOPE" }], history: [] }, sequentialIds());
    expect(restored.ok).toBe(false);
    if (!restored.ok) expect(restored.error.code).toBe("BAD_LOCK_SNAPSHOT");
  });
});
