/** The one `audited` wrapper (the auth router and the user CLI): every outcome leaves a row, and the caller gets the original result or error. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { DomainError } from "../core/errors";
import { createDbClient, setDbForTests } from "./client";
import { useFreshDb, type TestDb } from "../../test/auth-support";
import { audited } from "./audit";

let tdb: TestDb;
beforeEach(() => {
  tdb = useFreshDb();
});
afterEach(async () => tdb.close());

const by = { username: "cli:ops", role: "cli" };

async function rows() {
  return (await tdb.client.auditLog.findMany({ orderBy: { id: "asc" } })).map((r) => [r.actor, r.role, r.action, r.target, r.params, r.result, r.detail]);
}

describe("audited", () => {
  it("records OK and returns the action's value", async () => {
    await expect(audited(by, "user_enable", "alice", null, () => Promise.resolve(42))).resolves.toBe(42);
    expect(await rows()).toEqual([["cli:ops", "cli", "user_enable", "alice", null, "OK", null]]);
  });

  it("records a DomainError as REFUSED with its sentence, and rethrows it", async () => {
    const refusal = new DomainError("LAST_ADMIN", "The last admin cannot be disabled.");
    await expect(audited(by, "user_disable", "root", { why: "test" }, () => Promise.reject(refusal))).rejects.toBe(refusal);
    expect(await rows()).toEqual([["cli:ops", "cli", "user_disable", "root", '{"why":"test"}', "REFUSED", "The last admin cannot be disabled."]]);
  });

  it("records any other failure as ERROR (the CLI used to leave no row), and rethrows it", async () => {
    const failure = new Error("disk full");
    await expect(audited(by, "user_create", "bob", null, () => Promise.reject(failure))).rejects.toBe(failure);
    expect(await rows()).toEqual([["cli:ops", "cli", "user_create", "bob", null, "ERROR", "disk full"]]);
  });

  it("still throws the action's error when the audit row cannot be written either", async () => {
    const failure = new Error("database is locked");
    const logged = vi.spyOn(console, "error").mockImplementation(() => undefined);
    // A database without the audit table: the write fails (never DATABASE_URL's file).
    const dir = mkdtempSync(join(tmpdir(), "bastion-audit-"));
    const empty = createDbClient(`file:${join(dir, "empty.db")}`);
    setDbForTests(empty);
    try {
      await expect(audited(by, "user_create", "bob", null, () => Promise.reject(failure))).rejects.toBe(failure);
      expect(logged).toHaveBeenCalledWith(expect.stringContaining("audit: could not record user_create by cli:ops"), expect.anything());
    } finally {
      logged.mockRestore();
      await empty.$disconnect();
      setDbForTests(tdb.client);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
