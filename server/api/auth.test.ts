import { TRPCError } from "@trpc/server";
import superjson from "superjson";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { GET, POST } from "@/app/api/trpc/[trpc]/route";
import { ManualClock } from "../core/clock";
import { setSignInLimiterForTests, SignInRateLimiter } from "../auth/rate-limit";
import { type Role } from "../auth/roles";
import { createSession, resolveSession } from "../auth/sessions";
import { FAST_SCRYPT, useFreshDb, type TestDb } from "../../test/auth-support";
import { createUser, verifyCredentials } from "../auth/users";
import { type Context } from "./context";
import { DomainError, toTrpcError } from "./errors";
import { createCaller } from "./root";
import { adminProcedure, createCallerFactory, publicProcedure, router, traderProcedure, viewerProcedure } from "./trpc";

const PW = "violet tractor harbour";
let tdb: TestDb;
const users: Record<Role, { id: string; username: string; role: Role }> = {} as never;

beforeEach(async () => {
  tdb = useFreshDb();
  setSignInLimiterForTests(undefined);
  for (const role of ["viewer", "trader", "admin"] as const) {
    const u = await createUser({ username: `${role}1`, password: PW, role }, { scrypt: FAST_SCRYPT });
    users[role] = { id: u.id, username: u.username, role };
  }
});
afterEach(async () => {
  setSignInLimiterForTests(undefined);
  await tdb.close();
});

function ctxFor(role: Role | null, extra: Partial<Context> = {}): Context {
  return { user: role ? users[role] : null, sessionToken: null, ip: "10.1.2.3", resHeaders: new Headers(), secureCookies: false, ...extra };
}

async function trpcError(p: Promise<unknown>): Promise<TRPCError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof TRPCError) return e;
    throw e;
  }
  throw new Error("expected a TRPCError");
}

describe("the procedure ladder", () => {
  const ladder = router({
    pub: publicProcedure.query(() => "ok"),
    viewer: viewerProcedure.query(() => "ok"),
    trader: traderProcedure.mutation(() => "ok"),
    admin: adminProcedure.mutation(() => "ok"),
  });
  const call = createCallerFactory(ladder);
  type Outcome = "ok" | "UNAUTHORIZED" | "FORBIDDEN";
  const table: Array<[Role | null, Outcome, Outcome, Outcome, Outcome]> = [
    [null, "ok", "UNAUTHORIZED", "UNAUTHORIZED", "UNAUTHORIZED"],
    ["viewer", "ok", "ok", "FORBIDDEN", "FORBIDDEN"],
    ["trader", "ok", "ok", "ok", "FORBIDDEN"],
    ["admin", "ok", "ok", "ok", "ok"],
  ];
  it.each(table)("%s → public %s, viewer %s, trader %s, admin %s", async (role, ...expected) => {
    const c = call(ctxFor(role));
    const calls = [() => c.pub(), () => c.viewer(), () => c.trader(), () => c.admin()];
    for (const [i, run] of calls.entries()) {
      const outcome = await run().then(
        () => "ok",
        (e: unknown) => (e instanceof TRPCError ? e.code : String(e)),
      );
      expect(outcome).toBe(expected[i]);
    }
  });

  it("says why, in words", async () => {
    expect((await trpcError(call(ctxFor(null)).viewer())).message).toBe("Sign in first.");
    expect((await trpcError(call(ctxFor("viewer")).trader())).message).toBe("This needs the trader role; you are a viewer.");
    expect((await trpcError(call(ctxFor("trader")).admin())).message).toBe("This needs the admin role; you are a trader.");
  });

  it("refuses the real admin procedures to a viewer and to nobody", async () => {
    expect((await trpcError(createCaller(ctxFor("viewer")).auth.users.list())).code).toBe("FORBIDDEN");
    expect((await trpcError(createCaller(ctxFor(null)).auth.users.list())).code).toBe("UNAUTHORIZED");
    expect((await trpcError(createCaller(ctxFor(null)).auth.signOut())).code).toBe("UNAUTHORIZED");
    expect((await trpcError(createCaller(ctxFor("trader")).auth.users.create({ username: "eve", role: "admin" }))).code).toBe("FORBIDDEN");
  });
});

describe("domain errors at the edge", () => {
  it.each([
    ["NOT_FOUND", "NOT_FOUND"],
    ["TRADING_HALTED", "PRECONDITION_FAILED"],
    ["REDUCING_ONLY", "PRECONDITION_FAILED"],
    ["MAX_SYMBOL_EXPOSURE", "PRECONDITION_FAILED"],
    ["FORBIDDEN", "FORBIDDEN"],
    ["VALIDATION", "BAD_REQUEST"],
    ["RATE_LIMITED", "TOO_MANY_REQUESTS"],
  ])("%s → %s", async (domain, trpc) => {
    expect(toTrpcError(new DomainError(domain, "x")).code).toBe(trpc);
    const r = router({
      boom: publicProcedure.mutation(() => {
        throw new DomainError(domain, "Plain words.");
      }),
    });
    const e = await trpcError(createCallerFactory(r)(ctxFor(null)).boom());
    expect(e.code).toBe(trpc);
    expect(e.message).toBe("Plain words.");
  });
});

// ------------------------------------------------------------------------------------------------
// Through the real route handler (HTTP status, error shape, Set-Cookie)

interface Answer {
  status: number;
  setCookie: string[];
  data?: unknown;
  error?: {
    message: string;
    code: number;
    data: { code: string; httpStatus: number; domainCode: string | null; zodError: { formErrors: string[]; fieldErrors: Record<string, string[]> } | null };
  };
}

async function http(path: string, input: unknown, opts: { cookie?: string; method?: "GET" | "POST" } = {}): Promise<Answer> {
  const method = opts.method ?? "POST";
  const headers = new Headers({ "content-type": "application/json" });
  if (opts.cookie) headers.set("cookie", opts.cookie);
  const encoded = JSON.stringify(superjson.serialize(input));
  const url = `http://127.0.0.1:3000/api/trpc/${path}${method === "GET" && input !== undefined ? `?input=${encodeURIComponent(encoded)}` : ""}`;
  const req = new Request(url, { method, headers, body: method === "POST" && input !== undefined ? encoded : undefined });
  const res = await (method === "GET" ? GET(req) : POST(req));
  const body = (await res.json()) as { result?: { data: Parameters<typeof superjson.deserialize>[0] }; error?: { json: Answer["error"] } };
  return {
    status: res.status,
    setCookie: res.headers.getSetCookie(),
    data: body.result ? superjson.deserialize(body.result.data) : undefined,
    error: body.error?.json,
  };
}

function cookieFrom(setCookie: string[]): string {
  const first = setCookie[0]!;
  return first.slice(0, first.indexOf(";"));
}

describe("sign in and out over HTTP", () => {
  it("signs in with a session cookie (HttpOnly, SameSite=Strict) that me() recognises", async () => {
    const res = await http("auth.signIn", { username: "Trader1", password: PW });
    expect(res.status).toBe(200);
    expect(res.data).toEqual({ user: { id: users.trader.id, username: "trader1", role: "trader" } });
    expect(res.setCookie).toHaveLength(2);
    expect(res.setCookie[1]).toMatch(/^bastion_device=[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}; HttpOnly; SameSite=Strict; Path=\/api\/trpc; /);
    const cookie = res.setCookie[0]!;
    expect(cookie).toMatch(/^bastion_session=[A-Za-z0-9_-]{43}; /);
    for (const attr of ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=604800"]) expect(cookie).toContain(attr);
    expect(cookie).not.toContain("Secure");

    const me = await http("auth.me", undefined, { method: "GET", cookie: cookieFrom(res.setCookie) });
    expect(me.data).toEqual({ id: users.trader.id, username: "trader1", role: "trader", can: { viewer: true, trader: true, admin: false } });
    expect((await http("auth.me", undefined, { method: "GET" })).data).toBeNull();

    const audit = await tdb.client.auditLog.findMany();
    expect(audit.map((a) => [a.actor, a.action, a.result])).toEqual([["trader1", "sign_in", "OK"]]);
  });

  it("refuses a wrong password with 401 and a plain message, and audits it", async () => {
    const res = await http("auth.signIn", { username: "trader1", password: "not the password" });
    expect(res.status).toBe(401);
    expect(res.setCookie).toEqual([]);
    expect(res.error?.message).toBe("Wrong username or password.");
    expect(res.error?.data).toMatchObject({ code: "UNAUTHORIZED", domainCode: "BAD_CREDENTIALS" });
    const unknown = await http("auth.signIn", { username: "nobody", password: PW });
    expect(unknown.error?.message).toBe("Wrong username or password.");
    const audit = await tdb.client.auditLog.findMany({ orderBy: { id: "asc" } });
    expect(audit.map((a) => [a.actor, a.action, a.result, a.detail])).toEqual([
      ["trader1", "sign_in", "REFUSED", "Wrong username or password."],
      ["nobody", "sign_in", "REFUSED", "Wrong username or password."],
    ]);
    expect(JSON.stringify(audit)).not.toContain("not the password");
  });

  it("explains bad input field by field", async () => {
    const res = await http("auth.signIn", { username: "  ", password: "" });
    expect(res.status).toBe(400);
    expect(res.error?.data.domainCode).toBe("VALIDATION");
    expect(res.error?.data.zodError?.fieldErrors).toEqual({ username: ["Enter a username."], password: ["Enter a password."] });
    expect(res.error?.message).toBe("Invalid input: username: Enter a username. password: Enter a password.");
  });

  it.each([33, 64, 65, 500])("says a username has at most 32 characters, for %i characters", async (length) => {
    const e = await trpcError(createCaller(ctxFor("admin")).auth.users.create({ username: "a".repeat(length), role: "viewer" }));
    expect(e.message).toMatch(/at most 32 characters/);
  });

  it("answers UNAUTHORIZED without a session", async () => {
    const res = await http("auth.users.list", undefined, { method: "GET" });
    expect(res.status).toBe(401);
    expect(res.error?.message).toBe("Sign in first.");
    expect(res.error?.data).toMatchObject({ code: "UNAUTHORIZED", domainCode: "UNAUTHORIZED" });
    const forged = await http("auth.users.list", undefined, { method: "GET", cookie: "bastion_session=" + "A".repeat(43) });
    expect(forged.status).toBe(401);
  });

  it("locks sign-in after 5 failures, even with the right password", async () => {
    const clock = new ManualClock(Date.now());
    setSignInLimiterForTests(new SignInRateLimiter({ clock }));
    for (let i = 0; i < 5; i++) expect((await http("auth.signIn", { username: "admin1", password: "wrong password" })).status).toBe(401);
    const locked = await http("auth.signIn", { username: "admin1", password: PW });
    expect(locked.status).toBe(429);
    expect(locked.error?.message).toBe("Too many sign-in attempts; try again in 15 minutes.");
    expect(locked.error?.data.domainCode).toBe("RATE_LIMITED");
    clock.advance(15 * 60_000);
    expect((await http("auth.signIn", { username: "admin1", password: PW })).status).toBe(200);
  });

  it("refuses a disabled account that knows its password", async () => {
    await tdb.client.user.update({ where: { id: users.viewer.id }, data: { disabled: true } });
    const res = await http("auth.signIn", { username: "viewer1", password: PW });
    expect(res.status).toBe(403);
    expect(res.error?.message).toBe("This account is disabled; ask an admin to enable it.");
  });

  it("signs out: clears the cookie and ends the session", async () => {
    const signIn = await http("auth.signIn", { username: "viewer1", password: PW });
    const cookie = cookieFrom(signIn.setCookie);
    const out = await http("auth.signOut", undefined, { cookie });
    expect(out.status).toBe(200);
    expect(out.setCookie[0]).toMatch(/^bastion_session=; .*Max-Age=0/);
    expect((await http("auth.me", undefined, { method: "GET", cookie })).data).toBeNull();
    expect((await http("auth.signOut", undefined, { cookie })).status).toBe(401);
    const actions = (await tdb.client.auditLog.findMany({ orderBy: { id: "asc" } })).map((a) => a.action);
    expect(actions).toEqual(["sign_in", "sign_out"]);
  });
});

describe("user management (admin)", () => {
  it("creates, changes role, resets passwords, disables — each audited", async () => {
    const admin = createCaller(ctxFor("admin"));
    const created = await admin.auth.users.create({ username: "Eve", role: "viewer" });
    expect(created.user).toMatchObject({ username: "eve", role: "viewer", disabled: false });
    expect(created.generatedPassword).toMatch(/^[A-Za-z2-9-]{23}$/);
    expect((await verifyCredentials("eve", created.generatedPassword!)).ok).toBe(true);

    expect((await admin.auth.users.setRole({ username: "eve", role: "trader" })).role).toBe("trader");
    const { token } = await createSession(created.user.id);
    const reset = await admin.auth.users.resetPassword({ username: "eve", password: "granite orchard lantern" });
    expect(reset.generatedPassword).toBeNull();
    expect((await verifyCredentials("eve", "granite orchard lantern")).ok).toBe(true);
    expect(await resolveSession(token)).toBeNull(); // a reset signs the user out

    const weak = await trpcError(admin.auth.users.create({ username: "mallory", role: "viewer", password: "password1234" }));
    expect(weak.code).toBe("BAD_REQUEST");
    expect(weak.message).toMatch(/too common/);
    expect((await trpcError(admin.auth.users.disable({ username: "admin1" }))).message).toMatch(/your own account/);
    expect((await admin.auth.users.disable({ username: "eve" })).disabled).toBe(true);
    expect((await admin.auth.users.list()).map((u) => u.username)).toEqual(["admin1", "eve", "trader1", "viewer1"]);

    const audit = await tdb.client.auditLog.findMany({ orderBy: { id: "asc" } });
    expect(audit.map((a) => [a.actor, a.action, a.target, a.result])).toEqual([
      ["admin1", "user_create", "eve", "OK"],
      ["admin1", "user_set_role", "eve", "OK"],
      ["admin1", "user_reset_password", "eve", "OK"],
      ["admin1", "user_create", "mallory", "REFUSED"],
      ["admin1", "user_disable", "admin1", "REFUSED"],
      ["admin1", "user_disable", "eve", "OK"],
    ]);
    expect(JSON.stringify(audit)).not.toMatch(/granite|password1234/);
  });

  it("lets a user change their own password with the current one", async () => {
    const resHeaders = new Headers();
    const me = createCaller(ctxFor("viewer", { resHeaders }));
    expect((await trpcError(me.auth.changePassword({ currentPassword: "wrong one", newPassword: "granite orchard lantern" }))).code).toBe("UNAUTHORIZED");
    await me.auth.changePassword({ currentPassword: PW, newPassword: "granite orchard lantern" });
    expect(resHeaders.getSetCookie()[0]).toMatch(/^bastion_session=[A-Za-z0-9_-]{43}; HttpOnly; SameSite=Strict/);
    expect((await verifyCredentials("viewer1", "granite orchard lantern")).ok).toBe(true);
  });
});
