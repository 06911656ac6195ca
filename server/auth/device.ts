/**
 * Device cookies (OWASP's answer to lockout as denial of service): a successful sign-in gives the browser
 * `bastion_device=<id>.<HMAC(key, username, id)>`. Later sign-ins for that username from that browser are limited
 * on their own (rate-limit.ts), so failures by anyone else never lock a known device out.
 *
 * The key lives in memory and is new at each start, like the limiter's counts: after a restart every browser is
 * new again and nobody is locked out. The cookie names no user and grants nothing by itself.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { DAY_MS } from "../core/clock";

export const DEVICE_COOKIE = "bastion_device";
const DEVICE_MAX_AGE_SEC = Math.floor((365 * DAY_MS) / 1000);

const globalForDevice = globalThis as unknown as { bastionDeviceKey?: Buffer };

function key(): Buffer {
  globalForDevice.bastionDeviceKey ??= randomBytes(32);
  return globalForDevice.bastionDeviceKey;
}

function mac(username: string, id: string): string {
  return createHmac("sha256", key()).update(`${username.trim().toLowerCase()}\n${id}`).digest("base64url");
}

/** A new device token for a browser that just signed in as `username`. */
export function issueDeviceToken(username: string): string {
  const id = randomBytes(16).toString("base64url");
  return `${id}.${mac(username, id)}`;
}

const TOKEN_SHAPE = /^([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/;

/** The device id when the token was given to this browser for this username, else null. */
export function deviceIdFor(token: string | null | undefined, username: string): string | null {
  const m = token ? TOKEN_SHAPE.exec(token) : null;
  if (!m) return null;
  const expected = Buffer.from(mac(username, m[1]!));
  const actual = Buffer.from(m[2]!);
  return expected.length === actual.length && timingSafeEqual(expected, actual) ? m[1]! : null;
}

export function serializeDeviceCookie(token: string, opts: { secure: boolean }): string {
  return [
    `${DEVICE_COOKIE}=${token}`,
    "HttpOnly",
    "SameSite=Strict",
    "Path=/api/trpc",
    `Max-Age=${DEVICE_MAX_AGE_SEC}`,
    ...(opts.secure ? ["Secure"] : []),
  ].join("; ");
}
