import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { HOUR_MS, ManualClock, MINUTE_MS, DAY_MS } from "../core/clock";
import {
  createSession,
  hashToken,
  purgeExpiredSessions,
  resolveSession,
  revokeAllForUser,
  revokeSession,
  SESSION_ABSOLUTE_MS,
  SESSION_IDLE_MS,
} from "./sessions";
import { FAST_SCRYPT, useFreshDb, type TestDb } from "../../test/auth-support";
import { createUser, disableUser } from "./users";

const T0 = Date.UTC(2025, 0, 6, 9, 0, 0);
let tdb: TestDb;
let clock: ManualClock;
let userId: string;

beforeEach(async () => {
  tdb = useFreshDb();
  clock = new ManualClock(T0);
  userId = (await createUser({ username: "alice", password: "violet tractor harbour", role: "trader" }, { clock, scrypt: FAST_SCRYPT })).id;
});
afterEach(async () => tdb.close());

describe("sessions", () => {
  it("stores only the SHA-256 of the token and resolves the token to its user", async () => {
    const { token, session } = await createSession(userId, { clock });
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/); // 32 random bytes, base64url
    expect(session.id).toBe(hashToken(token));
    const rows = await tdb.client.session.findMany();
    expect(rows.map((r) => r.id)).toEqual([hashToken(token)]);
    expect(JSON.stringify(rows)).not.toContain(token);
    const resolved = await resolveSession(token, { clock });
    expect(resolved?.user).toEqual({ id: userId, username: "alice", role: "trader" });
    expect(resolved?.session.expiresAt).toBe(T0 + SESSION_IDLE_MS);
  });

  it.each([[null], [undefined], [""], ["not-a-token"], ["A".repeat(43)]])("resolves %j to null", async (token) => {
    await createSession(userId, { clock });
    expect(await resolveSession(token, { clock })).toBeNull();
  });

  it("expires after 12 hours idle", async () => {
    const { token } = await createSession(userId, { clock });
    clock.advance(SESSION_IDLE_MS - 1);
    expect(await resolveSession(token, { clock })).not.toBeNull(); // and refreshes it
    clock.advance(SESSION_IDLE_MS);
    expect(await resolveSession(token, { clock })).toBeNull();
    expect(await tdb.client.session.count()).toBe(0); // deleted on sight
  });

  it("slides: activity keeps it alive, but refreshes lastSeenAt at most once a minute", async () => {
    const { token } = await createSession(userId, { clock });
    clock.advance(30_000);
    expect((await resolveSession(token, { clock }))?.session.lastSeenAt).toBe(T0); // < 1 min: no write
    expect((await tdb.client.session.findFirst())?.lastSeenAt).toBe(T0);
    clock.advance(MINUTE_MS);
    const touched = await resolveSession(token, { clock });
    expect(touched?.session.lastSeenAt).toBe(T0 + 90_000);
    expect(touched?.session.expiresAt).toBe(T0 + 90_000 + SESSION_IDLE_MS);
    expect((await tdb.client.session.findFirst())?.expiresAt).toBe(T0 + 90_000 + SESSION_IDLE_MS);
    // active every 11 hours for days: still alive at 6 days
    for (let t = 11 * HOUR_MS; t < 6 * DAY_MS; t += 11 * HOUR_MS) {
      clock.set(T0 + t);
      expect(await resolveSession(token, { clock })).not.toBeNull();
    }
  });

  it("ends after 7 days however active", async () => {
    const { token } = await createSession(userId, { clock });
    for (let t = HOUR_MS; t < SESSION_ABSOLUTE_MS; t += HOUR_MS) {
      clock.set(T0 + t);
      const r = await resolveSession(token, { clock });
      expect(r).not.toBeNull();
      expect(r!.session.expiresAt).toBeLessThanOrEqual(T0 + SESSION_ABSOLUTE_MS);
    }
    clock.set(T0 + SESSION_ABSOLUTE_MS);
    expect(await resolveSession(token, { clock })).toBeNull();
  });

  it("revokes one session, or all of a user's", async () => {
    const a = await createSession(userId, { clock });
    const b = await createSession(userId, { clock });
    const c = await createSession(userId, { clock });
    await revokeSession(a.token);
    expect(await resolveSession(a.token, { clock })).toBeNull();
    expect(await resolveSession(b.token, { clock })).not.toBeNull();
    expect(await revokeAllForUser(userId)).toBe(2);
    expect(await resolveSession(b.token, { clock })).toBeNull();
    expect(await resolveSession(c.token, { clock })).toBeNull();
  });

  it("does not resolve sessions of a disabled user", async () => {
    await createUser({ username: "root2", password: "violet tractor harbour", role: "admin" }, { clock, scrypt: FAST_SCRYPT });
    const { token } = await createSession(userId, { clock });
    await tdb.client.user.update({ where: { id: userId }, data: { disabled: true } });
    expect(await resolveSession(token, { clock })).toBeNull();
    await tdb.client.user.update({ where: { id: userId }, data: { disabled: false } });
    const again = await createSession(userId, { clock });
    await disableUser("alice", { clock });
    expect(await resolveSession(again.token, { clock })).toBeNull();
  });

  it("purges expired sessions", async () => {
    await createSession(userId, { clock });
    clock.advance(HOUR_MS);
    const fresh = await createSession(userId, { clock });
    clock.advance(SESSION_IDLE_MS - 30 * MINUTE_MS); // the first is expired, the second not
    expect(await purgeExpiredSessions({ clock })).toBe(1);
    expect(await resolveSession(fresh.token, { clock })).not.toBeNull();
  });
});
