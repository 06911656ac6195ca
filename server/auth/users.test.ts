import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ManualClock } from "../core/clock";
import { isDomainError } from "../core/errors";
import { createSession, resolveSession } from "./sessions";
import { FAST_SCRYPT, useFreshDb, type TestDb } from "../../test/auth-support";
import { createUser, disableUser, enableUser, findUser, hasRole, listUsers, setPassword, setRole, usernameProblem, verifyCredentials } from "./users";

const PW = "violet tractor harbour";
const opts = { clock: new ManualClock(1_700_000_000_000), scrypt: FAST_SCRYPT };
let tdb: TestDb;
beforeEach(() => {
  tdb = useFreshDb();
});
afterEach(async () => tdb.close());

async function refusal(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (e) {
    if (isDomainError(e)) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error("expected a refusal");
}

describe("roles", () => {
  it.each([
    ["viewer", "viewer", true],
    ["viewer", "trader", false],
    ["viewer", "admin", false],
    ["trader", "viewer", true],
    ["trader", "trader", true],
    ["trader", "admin", false],
    ["admin", "viewer", true],
    ["admin", "trader", true],
    ["admin", "admin", true],
    ["root", "viewer", false],
    ["", "viewer", false],
  ] as const)("hasRole(%s, %s) = %s", (actual, required, expected) => {
    expect(hasRole(actual, required)).toBe(expected);
  });
});

describe("usernames", () => {
  it.each([
    ["ab", /at least 3/],
    ["a".repeat(33), /at most 32/],
    ["-alice", /letters, digits/],
    ["al ice", /letters, digits/],
    ["alice!", /letters, digits/],
  ])("refuses %j", (name, message) => expect(usernameProblem(name)).toMatch(message));
  it.each(["alice", "bob.smith", "ops_2", "x-9"])("accepts %j", (name) => expect(usernameProblem(name)).toBeNull());

  it("stores them in lower case and finds them case-insensitively", async () => {
    const u = await createUser({ username: "  Alice ", password: PW, role: "trader" }, opts);
    expect(u.username).toBe("alice");
    expect((await findUser("ALICE"))?.id).toBe(u.id);
  });
});

describe("users", () => {
  it("creates, lists (without hashes) and refuses duplicates, bad roles and weak passwords", async () => {
    await createUser({ username: "bob", password: PW, role: "viewer" }, opts);
    await createUser({ username: "alice", password: PW, role: "admin" }, opts);
    const list = await listUsers();
    expect(list.map((u) => [u.username, u.role, u.disabled])).toEqual([
      ["alice", "admin", false],
      ["bob", "viewer", false],
    ]);
    expect(JSON.stringify(list)).not.toContain("scrypt");
    expect(await refusal(createUser({ username: "BOB", password: PW, role: "viewer" }, opts))).toMatchObject({ code: "ALREADY_EXISTS" });
    expect(await refusal(createUser({ username: "carol", password: PW, role: "root" }, opts))).toMatchObject({ code: "INVALID_ROLE" });
    expect(await refusal(createUser({ username: "carol", password: "password1234", role: "viewer" }, opts))).toMatchObject({ code: "WEAK_PASSWORD" });
    expect(await refusal(createUser({ username: "c", password: PW, role: "viewer" }, opts))).toMatchObject({ code: "INVALID_USERNAME" });
    expect((await findUser("bob"))?.createdAt).toBe(1_700_000_000_000);
  });

  it("verifies credentials without telling unknown users from wrong passwords", async () => {
    await createUser({ username: "alice", password: PW, role: "trader" }, opts);
    expect(await verifyCredentials("Alice", PW, opts)).toMatchObject({ ok: true, user: { username: "alice", role: "trader" } });
    expect(await verifyCredentials("alice", "wrong password here", opts)).toEqual({ ok: false, code: "BAD_CREDENTIALS" });
    expect(await verifyCredentials("nobody", PW, opts)).toEqual({ ok: false, code: "BAD_CREDENTIALS" });
  });

  it("sets a new password (policy checked) and ends the user's sessions", async () => {
    const u = await createUser({ username: "alice", password: PW, role: "trader" }, opts);
    const { token } = await createSession(u.id);
    expect(await refusal(setPassword("alice", "short", opts))).toMatchObject({ code: "WEAK_PASSWORD" });
    expect(await refusal(setPassword("nobody", PW, opts))).toMatchObject({ code: "NOT_FOUND" });
    await setPassword("alice", "granite orchard lantern", opts);
    expect((await verifyCredentials("alice", PW, opts)).ok).toBe(false);
    expect((await verifyCredentials("alice", "granite orchard lantern", opts)).ok).toBe(true);
    expect(await resolveSession(token)).toBeNull();
  });

  it("upgrades a weak hash on a successful sign-in", async () => {
    const u = await createUser({ username: "alice", password: PW, role: "trader" }, opts);
    const before = (await tdb.client.user.findUniqueOrThrow({ where: { id: u.id } })).passwordHash;
    expect((await verifyCredentials("alice", PW)).ok).toBe(true); // default (stronger) parameters
    const after = (await tdb.client.user.findUniqueOrThrow({ where: { id: u.id } })).passwordHash;
    expect(after).not.toBe(before);
    expect(after).toContain("N=32768");
  });

  it("changes roles and disables, but never leaves the desk without an enabled admin", async () => {
    await createUser({ username: "alice", password: PW, role: "admin" }, opts);
    await createUser({ username: "bob", password: PW, role: "viewer" }, opts);
    expect(await refusal(setRole("alice", "trader", opts))).toMatchObject({ code: "LAST_ADMIN" });
    expect(await refusal(disableUser("alice", opts))).toMatchObject({ code: "LAST_ADMIN" });
    expect((await setRole("bob", "admin", opts)).role).toBe("admin");
    expect((await setRole("alice", "trader", opts)).role).toBe("trader");
    expect(await refusal(disableUser("bob", opts))).toMatchObject({ code: "LAST_ADMIN" });
    expect(await refusal(setRole("bob", "boss", opts))).toMatchObject({ code: "INVALID_ROLE" });
    expect((await disableUser("alice", opts)).disabled).toBe(true);
    expect(await verifyCredentials("alice", PW, opts)).toEqual({ ok: false, code: "ACCOUNT_DISABLED" });
    expect(await verifyCredentials("alice", "wrong password here", opts)).toEqual({ ok: false, code: "BAD_CREDENTIALS" });
    expect((await enableUser("alice", opts)).disabled).toBe(false);
    expect((await verifyCredentials("alice", PW, opts)).ok).toBe(true);
  });
});
