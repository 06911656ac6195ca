import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createSession } from "../auth/sessions";
import { FAST_SCRYPT, useFreshDb, type TestDb } from "../../test/auth-support";
import { createUser } from "../auth/users";
import { clientIp, createContext } from "./context";

describe("clientIp", () => {
  it.each([
    [{ "x-forwarded-for": "1.2.3.4" }, {}, "unknown"],
    [{ "x-forwarded-for": "6.6.6.6, 1.2.3.4" }, { BASTION_TRUST_PROXY: "1" }, "1.2.3.4"],
    [{ "x-forwarded-for": "1.2.3.4" }, { BASTION_TRUST_PROXY: "1" }, "1.2.3.4"],
    [{ "x-real-ip": "5.5.5.5" }, { BASTION_TRUST_PROXY: "1" }, "5.5.5.5"],
    [{}, { BASTION_TRUST_PROXY: "1" }, "unknown"],
  ])("%j with %j → %s", (headers, env, ip) => {
    expect(clientIp(new Headers(headers), env)).toBe(ip);
  });
});

describe("createContext", () => {
  let tdb: TestDb;
  beforeEach(() => {
    tdb = useFreshDb();
  });
  afterEach(async () => tdb.close());

  it("reads the session cookie", async () => {
    const u = await createUser({ username: "alice", password: "violet tractor harbour", role: "trader" }, { scrypt: FAST_SCRYPT });
    const { token } = await createSession(u.id);
    const req = (cookie?: string) => new Request("http://127.0.0.1:3000/api/trpc/auth.me", { headers: cookie ? { cookie } : {} });
    const signedIn = await createContext({ req: req(`other=1; bastion_session=${token}`), resHeaders: new Headers() });
    expect(signedIn).toMatchObject({ user: { username: "alice", role: "trader" }, sessionToken: token, ip: "unknown", secureCookies: false });
    const anonymous = await createContext({ req: req(), resHeaders: new Headers() });
    expect(anonymous).toMatchObject({ user: null, sessionToken: null });
    const stale = await createContext({ req: req("bastion_session=" + "B".repeat(43)), resHeaders: new Headers() });
    expect(stale).toMatchObject({ user: null, sessionToken: null });
  });
});
