/** Sign-in through the real route handler under pressure: parallel guesses, floods, lockout by others. */
import superjson from "superjson";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { POST } from "@/app/api/trpc/[trpc]/route";
import { ManualClock, MINUTE_MS } from "../core/clock";
import { setSignInLimiterForTests, SignInRateLimiter } from "../auth/rate-limit";
import { RefusedSignInAudit, setRefusedSignInAuditForTests } from "../auth/sign-in-audit";
import { FAST_SCRYPT, useFreshDb, type TestDb } from "../../test/auth-support";
import { createUser } from "../auth/users";

const PW = "violet tractor harbour";
let tdb: TestDb;
let clock: ManualClock;

beforeEach(async () => {
  tdb = useFreshDb();
  clock = new ManualClock(Date.UTC(2026, 11, 6, 12));
  setSignInLimiterForTests(new SignInRateLimiter({ clock }));
  setRefusedSignInAuditForTests(new RefusedSignInAudit({ clock }));
  await createUser({ username: "admin1", password: PW, role: "admin" }, { scrypt: FAST_SCRYPT });
});
afterEach(async () => {
  setSignInLimiterForTests(undefined);
  setRefusedSignInAuditForTests(undefined);
  await tdb.close();
});

interface Answer {
  status: number;
  setCookie: string[];
  message: string | null;
}

async function signIn(username: string, password: string, headers: Record<string, string> = {}): Promise<Answer> {
  const req = new Request("http://127.0.0.1:3000/api/trpc/auth.signIn", {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(superjson.serialize({ username, password })),
  });
  const res = await POST(req);
  const body = (await res.json()) as { error?: { json: { message: string } } };
  return { status: res.status, setCookie: res.headers.getSetCookie(), message: body.error?.json.message ?? null };
}

function cookieValue(setCookie: string[], name: string): string | null {
  const c = setCookie.find((x) => x.startsWith(`${name}=`));
  return c ? c.slice(0, c.indexOf(";")) : null;
}

describe("sign-in under pressure", () => {
  it("counts attempts before checking: 30 parallel guesses get at most 5 password checks", async () => {
    const answers = await Promise.all(Array.from({ length: 30 }, () => signIn("admin1", "wrong password here")));
    const checked = answers.filter((a) => a.status === 401).length;
    expect(checked).toBeGreaterThan(0);
    expect(checked).toBeLessThanOrEqual(5);
    expect(answers.every((a) => a.status === 401 || a.status === 429)).toBe(true);
  });

  it("writes one audit row per user and address per window for a flood of refusals, then one summary with the count", async () => {
    for (let i = 0; i < 200; i++) await signIn("admin1", `wrong password ${i}`);
    for (let i = 0; i < 50; i++) await signIn(`ghost${i % 3}`, "wrong password");
    const during = await tdb.client.auditLog.findMany({ orderBy: { id: "asc" } });
    expect(during.map((a) => [a.target, a.result, a.detail])).toEqual([
      ["admin1", "REFUSED", "Wrong username or password."],
      ["ghost0", "REFUSED", "Wrong username or password."],
      ["ghost1", "REFUSED", "Wrong username or password."],
      ["ghost2", "REFUSED", "Wrong username or password."],
    ]);
    clock.advance(15 * MINUTE_MS);
    await signIn("admin1", "wrong again");
    const after = await tdb.client.auditLog.findMany({ orderBy: { id: "asc" } });
    const summaries = after.slice(4).map((a) => ({ target: a.target, params: JSON.parse(a.params ?? "{}") as { count?: number } }));
    const admin = summaries.filter((s) => s.target === "admin1");
    expect(admin[0]?.params.count).toBe(199); // 5 wrong passwords and 194 lockouts after the first row
    expect(summaries.reduce((n, s) => n + (s.params.count ?? 0), 0)).toBe(199 + 47);
    expect(after.length).toBeLessThanOrEqual(4 + 4 + 1);
  });

  it("bounds the rows of a flood that invents a new username each time", async () => {
    setRefusedSignInAuditForTests(new RefusedSignInAudit({ clock, maxRowsPerWindow: 10 }));
    for (let i = 0; i < 25; i++) await signIn(`nobody${i}`, "wrong password");
    expect(await tdb.client.auditLog.count()).toBe(10);
    clock.advance(15 * MINUTE_MS);
    await signIn("admin1", PW);
    const rows = await tdb.client.auditLog.findMany({ orderBy: { id: "asc" } });
    const overflow = rows.find((r) => r.detail?.includes("counted but not written one by one"));
    expect(JSON.parse(overflow?.params ?? "{}")).toMatchObject({ count: 15 });
  });

  it("an attacker cannot keep the admin out: a browser that signed in before still gets in", async () => {
    const first = await signIn("admin1", PW);
    const device = cookieValue(first.setCookie, "bastion_device");
    expect(device).toMatch(/^bastion_device=/);
    // the attacker (same unknown address: no trusted proxy) locks "admin1" out for everybody else
    for (let i = 0; i < 8; i++) await signIn("admin1", "wrong password here");
    const stranger = await signIn("admin1", PW);
    expect(stranger.status).toBe(429);
    const admin = await signIn("admin1", PW, { cookie: device! });
    expect(admin.status).toBe(200);
    // the device cookie is bound to its username: it does not free another account
    await createUser({ username: "trader1", password: PW, role: "trader" }, { scrypt: FAST_SCRYPT });
    for (let i = 0; i < 5; i++) await signIn("trader1", "wrong password here", { cookie: device! });
    expect((await signIn("trader1", PW, { cookie: device! })).status).toBe(429);
  });

  it("with a trusted proxy, the admin from another address is not locked out", async () => {
    process.env.BASTION_TRUST_PROXY = "1";
    try {
      for (let i = 0; i < 8; i++) await signIn("admin1", "wrong password here", { "x-forwarded-for": "6.6.6.6" });
      expect((await signIn("admin1", PW, { "x-forwarded-for": "6.6.6.6" })).status).toBe(429);
      expect((await signIn("admin1", PW, { "x-forwarded-for": "10.0.0.7" })).status).toBe(200);
    } finally {
      delete process.env.BASTION_TRUST_PROXY;
    }
  });
});
