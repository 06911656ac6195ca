import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BootstrapError, ensureAdminUser } from "./bootstrap";
import { FAST_SCRYPT, useFreshDb, type TestDb } from "../../test/auth-support";
import { createUser, listUsers, verifyCredentials } from "./users";

let tdb: TestDb;
beforeEach(() => {
  tdb = useFreshDb();
});
afterEach(async () => tdb.close());

function capture() {
  const lines: string[] = [];
  return { lines, log: { info: (m: string) => lines.push(m), warn: (m: string) => lines.push(m) } };
}

describe("ensureAdminUser", () => {
  it("creates admin with a generated password printed once, then does nothing", async () => {
    const { lines, log } = capture();
    expect(await ensureAdminUser({ log, env: {}, scrypt: FAST_SCRYPT })).toEqual({ created: true, username: "admin", passwordSource: "generated" });
    expect(lines).toHaveLength(1);
    const password = /Password: (\S+)/.exec(lines[0]!)?.[1];
    expect(password).toBeDefined();
    expect(lines[0]).toMatch(/={20,}/);
    expect(await verifyCredentials("admin", password!, { scrypt: FAST_SCRYPT })).toMatchObject({ ok: true, user: { role: "admin" } });
    expect(await ensureAdminUser({ log, env: {}, scrypt: FAST_SCRYPT })).toEqual({ created: false });
    expect(lines).toHaveLength(1);
  });

  it("uses BASTION_ADMIN_PASSWORD and never prints it", async () => {
    const { lines, log } = capture();
    const env = { BASTION_ADMIN_PASSWORD: "granite orchard lantern" };
    expect(await ensureAdminUser({ log, env, scrypt: FAST_SCRYPT })).toMatchObject({ created: true, passwordSource: "env" });
    expect(lines.join("\n")).not.toContain("granite");
    expect((await verifyCredentials("admin", "granite orchard lantern", { scrypt: FAST_SCRYPT })).ok).toBe(true);
  });

  it("refuses a weak BASTION_ADMIN_PASSWORD and creates nobody", async () => {
    const { log } = capture();
    const run = ensureAdminUser({ log, env: { BASTION_ADMIN_PASSWORD: "admin123" }, scrypt: FAST_SCRYPT });
    await expect(run).rejects.toBeInstanceOf(BootstrapError);
    await expect(ensureAdminUser({ log, env: { BASTION_ADMIN_PASSWORD: "admin123" } })).rejects.toThrow(
      /BASTION_ADMIN_PASSWORD is refused: The password is too short/,
    );
    expect(await listUsers()).toEqual([]);
  });

  it("leaves an existing desk alone, whatever the variable says", async () => {
    await createUser({ username: "alice", password: "violet tractor harbour", role: "admin" }, { scrypt: FAST_SCRYPT });
    const { lines, log } = capture();
    expect(await ensureAdminUser({ log, env: { BASTION_ADMIN_PASSWORD: "weak" } })).toEqual({ created: false });
    expect(lines).toEqual([]);
    expect((await listUsers()).map((u) => u.username)).toEqual(["alice"]);
  });
});
