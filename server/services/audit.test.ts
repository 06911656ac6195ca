import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Context } from "../api/context";
import { appRouter, createCaller } from "../api/root";
import { recordAudit } from "../db/audit";
import { useFreshDb, type TestDb } from "../../test/auth-support";
import { ManualClock } from "../core/clock";
import { summarizeParams } from "./audit";

let tdb: TestDb;
const T0 = Date.UTC(2024, 4, 1, 9, 0, 0);
const viewer: Context = {
  user: { id: "u1", username: "viewer1", role: "viewer" },
  sessionToken: null,
  ip: "127.0.0.1",
  resHeaders: new Headers(),
  secureCookies: false,
};

beforeEach(async () => {
  tdb = useFreshDb();
  const clock = new ManualClock(T0);
  const entries = [
    { actor: "alice", role: "trader", action: "close_position", target: "pos-1", reason: "taking profit", params: { percent: 50 }, result: "OK" as const },
    { actor: "bob", role: "admin", action: "reset_breaker", reason: "checked the feed", params: { force: false }, result: "OK" as const },
    { actor: "alice", role: "trader", action: "cancel_order", target: "ord-9", result: "REFUSED" as const, detail: "NOT_FOUND: no open order ord-9" },
    {
      actor: "carol",
      role: "trader",
      action: "emergency_stop",
      reason: "venue outage",
      params: { flatten: true },
      result: "ERROR" as const,
      detail: "VENUE_ERROR: timeout",
    },
    { actor: "alice", role: "trader", action: "close_position", target: "pos-2", result: "OK" as const },
  ];
  for (const e of entries) {
    await recordAudit(e, clock);
    clock.advance(60_000);
  }
});
afterEach(async () => {
  await tdb.close();
});

describe("audit.list", () => {
  it("lists newest first with who, when, what, why, result and a params summary", async () => {
    const { entries, nextCursor } = await createCaller(viewer).audit.list({});
    expect(nextCursor).toBeNull();
    expect(entries.map((e) => e.target ?? e.action)).toEqual(["pos-2", "emergency_stop", "ord-9", "reset_breaker", "pos-1"]);
    const first = entries.at(-1)!;
    expect(first).toMatchObject({
      actor: "alice",
      role: "trader",
      action: "close_position",
      target: "pos-1",
      reason: "taking profit",
      result: "OK",
      ts: T0,
      paramsSummary: "percent=50",
    });
    expect(entries[1]).toMatchObject({ result: "ERROR", detail: "VENUE_ERROR: timeout", paramsSummary: "flatten=true" });
  });

  it("filters by actor, action, result and time, and combines filters", async () => {
    const c = createCaller(viewer);
    expect((await c.audit.list({ actor: "alice" })).entries).toHaveLength(3);
    expect((await c.audit.list({ action: "close_position" })).entries.map((e) => e.target)).toEqual(["pos-2", "pos-1"]);
    expect((await c.audit.list({ result: "REFUSED" })).entries.map((e) => e.target)).toEqual(["ord-9"]);
    expect((await c.audit.list({ actor: "alice", result: "OK" })).entries).toHaveLength(2);
    expect((await c.audit.list({ from: T0 + 60_000, to: T0 + 180_000 })).entries.map((e) => e.action)).toEqual(["cancel_order", "reset_breaker"]);
    expect((await c.audit.list({ actor: "nobody" })).entries).toEqual([]);
  });

  it("pages with a cursor (Load more)", async () => {
    const c = createCaller(viewer);
    const p1 = await c.audit.list({ limit: 2 });
    expect(p1.entries).toHaveLength(2);
    expect(p1.nextCursor).toBe(p1.entries[1]!.id);
    const p2 = await c.audit.list({ limit: 2, cursor: p1.nextCursor! });
    const p3 = await c.audit.list({ limit: 2, cursor: p2.nextCursor! });
    expect(p3.nextCursor).toBeNull();
    const ids = [...p1.entries, ...p2.entries, ...p3.entries].map((e) => e.id);
    expect(ids).toHaveLength(5);
    expect([...ids].sort((a, b) => b - a)).toEqual(ids);
  });

  it("refuses bad input in words", async () => {
    const c = createCaller(viewer);
    await expect(c.audit.list({ limit: 501 })).rejects.toThrow(/limit must be at most 500/);
    await expect(c.audit.list({ limit: 0 })).rejects.toThrow(/limit must be at least 1/);
    await expect(c.audit.list({ result: "MAYBE" as "OK" })).rejects.toThrow(/result must be OK, REFUSED or ERROR/);
    await expect(c.audit.list({ from: T0, to: T0 - 1 })).rejects.toThrow(/from must be before to/);
    await expect(c.audit.list({ cursor: -3 })).rejects.toThrow(/cursor/);
    await expect(c.audit.list({ actor: "x".repeat(101) })).rejects.toThrow(/at most 100/);
    await expect(createCaller({ ...viewer, user: null }).audit.list({})).rejects.toThrow(/Sign in first/);
  });

  it("has facets for the filters", async () => {
    expect(await createCaller(viewer).audit.facets()).toEqual({
      actors: ["alice", "bob", "carol"],
      actions: ["cancel_order", "close_position", "emergency_stop", "reset_breaker"],
      symbols: [],
    });
  });

  it("filters by symbol: the target, or the symbol in the params, and offers the symbols named", async () => {
    const clock = new ManualClock(T0 + 3_600_000);
    await recordAudit({ actor: "alice", role: "trader", action: "manual_order", params: { symbol: "ETH/USDT", side: "BUY" }, result: "OK" }, clock);
    await recordAudit({ actor: "bob", role: "trader", action: "cancel_all", target: "BTC/USDT", result: "OK" }, clock);
    await recordAudit({ actor: "bob", role: "trader", action: "manual_order", params: { symbol: "ETH/USDT:USDT" }, result: "OK" }, clock);
    const c = createCaller(viewer);
    expect((await c.audit.list({ symbol: "ETH/USDT" })).entries.map((e) => [e.actor, e.action])).toEqual([["alice", "manual_order"]]);
    expect((await c.audit.list({ symbol: "BTC/USDT" })).entries.map((e) => [e.actor, e.action])).toEqual([["bob", "cancel_all"]]);
    expect((await c.audit.list({ symbol: "BTC/USDT", actor: "alice" })).entries).toHaveLength(0);
    expect((await c.audit.facets()).symbols).toEqual(["ETH/USDT", "ETH/USDT:USDT"]);
    await expect(c.audit.list({ symbol: 'BTC","x' })).rejects.toThrow(/symbol must look like BTC\/USDT/);
  });

  it("is append-only: the router has no procedure that changes an entry", () => {
    const procedures = Object.keys(appRouter._def.procedures).filter((p) => p.startsWith("audit."));
    expect(procedures.sort()).toEqual(["audit.facets", "audit.list"]);
  });

  it("summarizes params", () => {
    expect(summarizeParams(null)).toBeNull();
    expect(summarizeParams("{}")).toBeNull();
    expect(summarizeParams('{"a":1,"b":"x","c":null,"d":{"e":2}}')).toBe('a=1, b=x, c=—, d={"e":2}');
    expect(summarizeParams("not json")).toBe("not json");
    expect(summarizeParams(JSON.stringify({ long: "y".repeat(300) }))!.length).toBeLessThanOrEqual(200);
  });
});
