/**
 * The session cookie: `bastion_session=<token>; HttpOnly; SameSite=Strict; Path=/; Max-Age=<7 d>[; Secure]`.
 * Secure when the request came over https (or a trusted proxy says so) or when BASTION_COOKIE_SECURE=1.
 * Max-Age is the absolute session lifetime; the server ends idle sessions earlier (sessions.ts).
 */
import { appConfig } from "../config";
import { SESSION_ABSOLUTE_MS } from "./sessions";

export const SESSION_COOKIE = "bastion_session";

export interface CookieOptions {
  secure: boolean;
  /** Seconds; defaults to the absolute session lifetime. */
  maxAgeSec?: number;
}

export function serializeSessionCookie(token: string, opts: CookieOptions): string {
  const maxAge = opts.maxAgeSec ?? Math.floor(SESSION_ABSOLUTE_MS / 1000);
  return [`${SESSION_COOKIE}=${token}`, "HttpOnly", "SameSite=Strict", "Path=/", `Max-Age=${maxAge}`, ...(opts.secure ? ["Secure"] : [])].join("; ");
}

/** A Set-Cookie value that deletes the session cookie. */
export function clearSessionCookie(opts: { secure: boolean }): string {
  return serializeSessionCookie("", { secure: opts.secure, maxAgeSec: 0 });
}

/** The value of one cookie from a Cookie header, or null. */
export function readCookie(header: string | null | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) {
      const value = part.slice(eq + 1).trim();
      try {
        return decodeURIComponent(value);
      } catch {
        return value;
      }
    }
  }
  return null;
}

/** Should the cookie carry `Secure`? */
export function wantsSecureCookie(req: { url: string; headers: Headers }, env?: Readonly<Record<string, string | undefined>>): boolean {
  const { http } = appConfig(env);
  if (http.secureCookies) return true;
  if (http.trustProxy && req.headers.get("x-forwarded-proto")?.split(",")[0]?.trim() === "https") return true;
  try {
    return new URL(req.url).protocol === "https:";
  } catch {
    return false;
  }
}
