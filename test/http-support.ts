/**
 * Calls tRPC procedures the way a browser or an attacker does: an HTTP Request through the real route handler
 * (app/api/trpc/[trpc]/route.ts), with a real session cookie, against the test desk (real engine, SQLite file).
 */
import superjson from "superjson";
import { GET, POST } from "@/app/api/trpc/[trpc]/route";
import { SESSION_COOKIE } from "../server/auth/cookies";
import { type Role } from "../server/auth/roles";
import { createSession } from "../server/auth/sessions";
import { FAST_SCRYPT } from "./auth-support";
import { createUser } from "../server/auth/users";
import { openTestDesk, type TestDesk, type TestDeskOptions } from "./desk-support";

export const ORIGIN = "http://127.0.0.1:3000";

export interface HttpAnswer {
  status: number;
  /** The deserialized result of a successful call. */
  data?: unknown;
  error?: { message: string; code: number; data: { code: string; httpStatus: number; domainCode: string | null; zodError: unknown } };
  /** The raw response text (for size checks). */
  text: string;
}

export interface HttpDesk extends TestDesk {
  cookies: Record<Role, string>;
  /** A procedure call with `input` encoded by superjson (as the dashboard does). */
  call(path: string, input: unknown, opts?: { role?: Role | null; method?: "GET" | "POST" }): Promise<HttpAnswer>;
  /** A procedure call with a raw body/`input` parameter: whatever JSON text an attacker chooses. */
  raw(path: string, body: string, opts?: { role?: Role | null; method?: "GET" | "POST" }): Promise<HttpAnswer>;
}

export async function openHttpDesk(options: TestDeskOptions = {}): Promise<HttpDesk> {
  const desk = await openTestDesk(options);
  const cookies = {} as Record<Role, string>;
  for (const role of ["viewer", "trader", "admin"] as const) {
    const user = await createUser({ username: `${role}-http`, password: "violet tractor harbour", role }, { scrypt: FAST_SCRYPT });
    const { token } = await createSession(user.id);
    cookies[role] = `${SESSION_COOKIE}=${token}`;
  }
  const raw: HttpDesk["raw"] = async (path, body, opts = {}) => {
    const method = opts.method ?? "POST";
    const headers = new Headers({ "content-type": "application/json", origin: ORIGIN });
    if (opts.role) headers.set("cookie", cookies[opts.role]);
    const url = `${ORIGIN}/api/trpc/${path}${method === "GET" ? `?input=${encodeURIComponent(body)}` : ""}`;
    const req = new Request(url, { method, headers, body: method === "POST" ? body : undefined });
    const res = await (method === "GET" ? GET(req) : POST(req));
    const text = await res.text();
    let parsed: { result?: { data: Parameters<typeof superjson.deserialize>[0] }; error?: { json: HttpAnswer["error"] } } = {};
    try {
      parsed = JSON.parse(text) as typeof parsed;
    } catch {
      // an empty or non-JSON answer: status and text say what happened
    }
    return {
      status: res.status,
      ...(parsed.result && { data: superjson.deserialize(parsed.result.data) }),
      ...(parsed.error && { error: parsed.error.json }),
      text,
    };
  };
  return {
    ...desk,
    cookies,
    raw,
    call: (path, input, opts) => raw(path, JSON.stringify(superjson.serialize(input)), opts),
  };
}
