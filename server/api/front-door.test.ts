import superjson from "superjson";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { GET, POST } from "@/app/api/trpc/[trpc]/route";
import { setSignInLimiterForTests } from "../auth/rate-limit";
import { FAST_SCRYPT, useFreshDb, type TestDb } from "../../test/auth-support";
import { createUser } from "../auth/users";
import { allowedHostsFromEnv, hostAllowed, MAX_TRPC_BODY_BYTES } from "./front-door";

const PW = "violet tractor harbour";
let tdb: TestDb;

beforeEach(async () => {
  tdb = useFreshDb();
  setSignInLimiterForTests(undefined);
  await createUser({ username: "admin1", password: PW, role: "admin" }, { scrypt: FAST_SCRYPT });
});
afterEach(async () => {
  setSignInLimiterForTests(undefined);
  await tdb.close();
});

const BASE = "http://127.0.0.1:3000/api/trpc";

function post(path: string, body: string, headers: Record<string, string> = {}): Promise<Response> {
  return POST(new Request(`${BASE}/${path}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body }));
}

async function errorOf(res: Response): Promise<{ message: string; data: { code: string; httpStatus: number } }> {
  const body = (await res.json()) as
    | { error?: { json: { message: string; data: { code: string; httpStatus: number } } } }
    | Array<{ error: { json: { message: string; data: { code: string; httpStatus: number } } } }>;
  const error = Array.isArray(body) ? body[0]?.error : body.error;
  if (!error) throw new Error(`expected an error, got ${JSON.stringify(body)}`);
  return error.json;
}

const signInBody = JSON.stringify(superjson.serialize({ username: "admin1", password: PW }));

describe("mutations need JSON and this server's origin", () => {
  it.each([
    ["a form post", { "content-type": "application/x-www-form-urlencoded" }, 415, /only as JSON/],
    ["multipart", { "content-type": "multipart/form-data; boundary=x" }, 415, /only as JSON/],
    ["text/plain (a no-preflight fetch)", { "content-type": "text/plain" }, 415, /only as JSON/],
    ["another site's Origin", { origin: "http://evil.example" }, 403, /another site/],
    ["an opaque Origin", { origin: "null" }, 403, /another site/],
    ["same name, other port", { origin: "http://127.0.0.1:4000" }, 403, /another site/],
    ["Sec-Fetch-Site cross-site", { "sec-fetch-site": "cross-site" }, 403, /another site/],
    [
      "a rebound DNS name",
      { host: "attacker.example:3000", origin: "http://attacker.example:3000" },
      421,
      /does not answer to the host "attacker\.example:3000"/,
    ],
  ])("refuses %s", async (_name, headers, status, message) => {
    const res = await post("auth.signIn", signInBody, headers);
    expect(res.status).toBe(status);
    expect((await errorOf(res)).message).toMatch(message);
    expect(await tdb.client.session.count()).toBe(0);
  });

  it("accepts its own origin, and clients that send none", async () => {
    expect((await post("auth.signIn", signInBody, { origin: "http://127.0.0.1:3000" })).status).toBe(200);
    expect((await post("auth.signIn", signInBody)).status).toBe(200);
    expect((await post("auth.signIn", signInBody, { host: "localhost:3000", origin: "http://localhost:3000" })).status).toBe(200);
  });

  it("behind a proxy that rewrites Host, accepts the public origin named in BASTION_ALLOWED_HOSTS", async () => {
    process.env.BASTION_ALLOWED_HOSTS = "desk.example";
    try {
      expect((await post("auth.signIn", signInBody, { origin: "https://desk.example" })).status).toBe(200);
      expect((await post("auth.signIn", signInBody, { origin: "https://evil.example" })).status).toBe(403);
      expect((await post("auth.signIn", signInBody, { origin: "http://localhost:8080" })).status).toBe(403);
    } finally {
      delete process.env.BASTION_ALLOWED_HOSTS;
    }
  });

  it("refuses reads on a host it does not serve too", async () => {
    const res = await GET(new Request(`${BASE}/auth.me`, { headers: { host: "rebound.example" } }));
    expect(res.status).toBe(421);
    expect((await GET(new Request(`${BASE}/auth.me`))).status).toBe(200);
  });
});

describe("allowed hosts", () => {
  it.each([
    ["127.0.0.1:3000", {}, true],
    ["localhost", {}, true],
    ["[::1]:3000", {}, true],
    ["desk.example:443", {}, false],
    ["desk.example:443", { BASTION_ALLOWED_HOSTS: "Desk.Example" }, true],
    ["desk.example:8443", { BASTION_ALLOWED_HOSTS: "desk.example:443" }, false],
    ["10.0.0.5:3000", { HOST: "10.0.0.5" }, true],
    ["10.0.0.5:3000", { HOST: "0.0.0.0" }, false],
    ["", {}, false],
  ])("%s with %j → %s", (host, env, ok) => {
    expect(hostAllowed(host, allowedHostsFromEnv(env))).toBe(ok);
  });
});

describe("batches and bodies", () => {
  it("refuses auth.signIn inside a batch, even alone", async () => {
    const batch = JSON.stringify({
      0: superjson.serialize({ username: "admin1", password: PW }),
      1: superjson.serialize({ username: "admin1", password: "x" }),
    });
    const res = await post("auth.signIn,auth.signIn?batch=1", batch);
    expect(res.status).toBe(400);
    expect((await errorOf(res)).message).toBe("Sign in with a request of its own, not in a batch with other calls.");
    const alone = await post("auth.signIn?batch=1", JSON.stringify({ 0: superjson.serialize({ username: "admin1", password: PW }) }));
    expect(alone.status).toBe(400);
    expect(await tdb.client.auditLog.count()).toBe(0); // no password was checked
  });

  it("refuses a batch above maxBatchSize", async () => {
    const paths = Array.from({ length: 21 }, () => "auth.me").join(",");
    const res = await GET(new Request(`${BASE}/${paths}?batch=1&input=${encodeURIComponent("{}")}`));
    expect(res.status).toBe(400);
    expect((await errorOf(res)).message).toBe("A batch holds at most 20 calls; this one has 21.");
    const ok = await GET(new Request(`${BASE}/${Array.from({ length: 20 }, () => "auth.me").join(",")}?batch=1&input=${encodeURIComponent("{}")}`));
    expect(ok.status).toBe(200);
  });

  it("answers 413 with a sentence for a body over the limit, declared or streamed", async () => {
    const big = JSON.stringify(superjson.serialize({ username: "admin1", password: "x".repeat(MAX_TRPC_BODY_BYTES) }));
    const declared = await post("auth.signIn", big, { "content-length": String(big.length) });
    expect(declared.status).toBe(413);
    expect((await errorOf(declared)).message).toBe("The request is too large: at most 256 KiB is accepted.");
    // no content-length: a stream that never ends is cut off at the limit
    let sent = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        sent += 64 * 1024;
        controller.enqueue(new Uint8Array(64 * 1024).fill(0x20));
      },
    });
    const streamed = await POST(
      new Request(`${BASE}/auth.signIn`, { method: "POST", headers: { "content-type": "application/json" }, body: endless, duplex: "half" } as RequestInit),
    );
    expect(streamed.status).toBe(413);
    expect(sent).toBeLessThanOrEqual(MAX_TRPC_BODY_BYTES + 2 * 64 * 1024);
    expect(await tdb.client.auditLog.count()).toBe(0);
  });
});
