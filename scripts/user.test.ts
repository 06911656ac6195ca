import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { useFreshDb, type TestDb } from "../test/auth-support";
import { verifyCredentials } from "../server/auth/users";
import { parseArgs, run, type Io } from "./user";

describe("parseArgs", () => {
  it.each([
    [["create", "alice", "--role", "trader"], { kind: "create", username: "alice", role: "trader", passwordStdin: false }],
    [["create", "alice", "--role=admin", "--password-stdin"], { kind: "create", username: "alice", role: "admin", passwordStdin: true }],
    [["--", "create", "--password-stdin", "alice", "--role", "viewer"], { kind: "create", username: "alice", role: "viewer", passwordStdin: true }],
    [["reset-password", "bob"], { kind: "reset-password", username: "bob", passwordStdin: false }],
    [["reset-password", "bob", "--password-stdin"], { kind: "reset-password", username: "bob", passwordStdin: true }],
    [["set-role", "bob", "admin"], { kind: "set-role", username: "bob", role: "admin" }],
    [["disable", "bob"], { kind: "disable", username: "bob" }],
    [["enable", "bob"], { kind: "enable", username: "bob" }],
    [["list"], { kind: "list" }],
    [["--help"], { kind: "help" }],
  ])("%j", (argv, command) => {
    expect(parseArgs(argv)).toEqual({ ok: true, command });
  });

  it.each([
    [[], /No command/],
    [["frobnicate"], /Unknown command "frobnicate"/],
    [["create", "alice"], /needs a role/],
    [["create", "alice", "--role"], /--role needs a value/],
    [["create", "alice", "--role", "root"], /Unknown role "root"/],
    [["create", "--role", "trader"], /takes one username/],
    [["create", "a", "b", "--role", "trader"], /unexpected "b"/],
    [["set-role", "bob"], /takes a username and a role/],
    [["set-role", "bob", "king"], /Unknown role "king"/],
    [["list", "extra"], /takes no arguments/],
    [["disable", "bob", "--role", "admin"], /does not take --role/],
    [["list", "--verbose"], /Unknown option "--verbose"/],
  ])("refuses %j", (argv, message) => {
    const parsed = parseArgs(argv);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.message).toMatch(message);
  });
});

describe("run", () => {
  let tdb: TestDb;
  beforeEach(() => {
    tdb = useFreshDb();
  });
  afterEach(async () => tdb.close());

  function io(stdin = ""): Io & { out: (l: string) => void; lines: string[]; errors: string[] } {
    const lines: string[] = [];
    const errors: string[] = [];
    return { lines, errors, out: (l) => lines.push(l), err: (l) => errors.push(l), readStdin: () => Promise.resolve(stdin) };
  }

  it("creates with a generated password, printed once", async () => {
    const t = io();
    expect(await run(["create", "Alice", "--role", "trader"], t)).toBe(0);
    expect(t.lines[0]).toBe('Created user "alice" with role trader.');
    const password = /shown only this once\): (\S+)$/.exec(t.lines[1]!)?.[1];
    expect((await verifyCredentials("alice", password!)).ok).toBe(true);
  });

  it("takes a password from stdin and enforces the policy", async () => {
    expect(await run(["create", "bob", "--role", "viewer", "--password-stdin"], io("granite orchard lantern\n"))).toBe(0);
    expect((await verifyCredentials("bob", "granite orchard lantern")).ok).toBe(true);
    const weak = io("password1234\n");
    expect(await run(["reset-password", "bob", "--password-stdin"], weak)).toBe(1);
    expect(weak.errors[0]).toMatch(/^Refused \(WEAK_PASSWORD\): The password is too common/);
    const empty = io("");
    expect(await run(["reset-password", "bob", "--password-stdin"], empty)).toBe(2);
    expect(empty.errors[0]).toMatch(/stdin was empty/);
  });

  it("lists, sets roles, disables; refuses unknown users and the last admin; audits as cli", async () => {
    await run(["create", "root1", "--role", "admin"], io());
    await run(["create", "bob", "--role", "viewer"], io());
    expect(await run(["set-role", "bob", "trader"], io())).toBe(0);
    const missing = io();
    expect(await run(["disable", "nobody"], missing)).toBe(1);
    expect(missing.errors[0]).toBe('Refused (NOT_FOUND): There is no user named "nobody".');
    expect(await run(["disable", "root1"], io())).toBe(1);
    expect(await run(["disable", "bob"], io())).toBe(0);
    const list = io();
    expect(await run(["list"], list)).toBe(0);
    expect(list.lines.map((l) => l.split(/\s+/).join(" "))).toEqual(["USERNAME ROLE STATUS", "bob trader disabled", "root1 admin active"]);
    const audit = await tdb.client.auditLog.findMany({ orderBy: { id: "asc" } });
    expect(audit.map((a) => [a.role, a.action, a.target, a.result])).toEqual([
      ["cli", "user_create", "root1", "OK"],
      ["cli", "user_create", "bob", "OK"],
      ["cli", "user_set_role", "bob", "OK"],
      ["cli", "user_disable", "nobody", "REFUSED"],
      ["cli", "user_disable", "root1", "REFUSED"],
      ["cli", "user_disable", "bob", "OK"],
    ]);
    expect(audit.every((a) => a.actor.startsWith("cli"))).toBe(true);
  });

  it("prints usage and exits 2 on bad arguments", async () => {
    const t = io();
    expect(await run(["create", "x"], t)).toBe(2);
    expect(t.errors[0]).toMatch(/needs a role[\s\S]*Usage: npm run user/);
  });
});
