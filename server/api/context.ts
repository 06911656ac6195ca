/**
 * The tRPC context: who is calling (from the session cookie), from where, and the response headers (Set-Cookie).
 * The client IP comes from X-Forwarded-For only when BASTION_TRUST_PROXY=1 (the rightmost entry: the address the
 * trusted proxy saw). Otherwise it is "unknown": Next.js fills X-Forwarded-For from the request itself, so without
 * a proxy in front a client could write any address there.
 */
import { appConfig } from "../config";
import { readCookie, SESSION_COOKIE, wantsSecureCookie } from "../auth/cookies";
import { DEVICE_COOKIE } from "../auth/device";
import { UNKNOWN_IP } from "../auth/rate-limit";
import { resolveSession, type SessionUser } from "../auth/sessions";

export interface Context {
  user: SessionUser | null;
  /** The raw cookie token of a valid session (null when signed out or the session is invalid). */
  sessionToken: string | null;
  ip: string;
  resHeaders: Headers;
  /** Whether cookies set in this response carry `Secure`. */
  secureCookies: boolean;
  /** The raw device cookie (auth/device.ts), checked against a username only at sign-in. */
  deviceToken?: string | null;
}

export function clientIp(headers: Headers, env?: Readonly<Record<string, string | undefined>>): string {
  if (!appConfig(env).http.trustProxy) return UNKNOWN_IP;
  const forwarded = headers.get("x-forwarded-for");
  const last = forwarded
    ?.split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .at(-1);
  return last ?? headers.get("x-real-ip")?.trim() ?? UNKNOWN_IP;
}

export async function createContext({ req, resHeaders }: { req: Request; resHeaders: Headers }): Promise<Context> {
  const token = readCookie(req.headers.get("cookie"), SESSION_COOKIE);
  const resolved = token ? await resolveSession(token) : null;
  return {
    user: resolved?.user ?? null,
    sessionToken: resolved ? token : null,
    ip: clientIp(req.headers),
    resHeaders,
    secureCookies: wantsSecureCookie(req),
    deviceToken: readCookie(req.headers.get("cookie"), DEVICE_COOKIE),
  };
}
