/**
 * Sessions. The cookie holds a random 32-byte token (base64url); the database stores only its SHA-256 (hex) as the
 * session id, so a leaked database does not leak usable sessions.
 *
 * Lifetime: 12 h sliding (idle timeout) within 7 d absolute. `expiresAt` = min(lastSeenAt + 12 h, createdAt + 7 d).
 * `resolveSession` refreshes lastSeenAt (and so expiresAt) at most once a minute, to keep reads cheap.
 * Expired sessions and sessions of disabled users resolve to null and are deleted.
 */
import "server-only";
import { createHash, randomBytes } from "node:crypto";
import { HOUR_MS, DAY_MS, MINUTE_MS, type Clock } from "../core/clock";
import { db } from "../db/client";
import { wallClock } from "./clock";
import { isRole, type Role } from "./roles";

export const SESSION_IDLE_MS = 12 * HOUR_MS;
export const SESSION_ABSOLUTE_MS = 7 * DAY_MS;
export const SESSION_TOUCH_MS = MINUTE_MS;

export interface SessionUser {
  id: string;
  username: string;
  role: Role;
}

export interface SessionInfo {
  /** SHA-256 of the token, hex. */
  id: string;
  userId: string;
  createdAt: number;
  expiresAt: number;
  lastSeenAt: number;
}

export interface SessionOptions {
  clock?: Clock;
}

export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

function expiry(createdAt: number, lastSeenAt: number): number {
  return Math.min(lastSeenAt + SESSION_IDLE_MS, createdAt + SESSION_ABSOLUTE_MS);
}

/** A new session for the user; returns the token for the cookie (shown nowhere else) and the stored session. */
export async function createSession(userId: string, opts: SessionOptions = {}): Promise<{ token: string; session: SessionInfo }> {
  const now = (opts.clock ?? wallClock).now();
  const token = randomBytes(32).toString("base64url");
  const session: SessionInfo = { id: hashToken(token), userId, createdAt: now, lastSeenAt: now, expiresAt: expiry(now, now) };
  await db().session.create({ data: session });
  return { token, session };
}

const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

/** The signed-in user for a cookie token, or null (no such session, expired, or the user is disabled). */
export async function resolveSession(token: string | null | undefined, opts: SessionOptions = {}): Promise<{ user: SessionUser; session: SessionInfo } | null> {
  if (!token || !TOKEN_SHAPE.test(token)) return null;
  const id = hashToken(token);
  const row = await db().session.findUnique({ where: { id }, include: { user: { select: { id: true, username: true, role: true, disabled: true } } } });
  if (!row) return null;
  const now = (opts.clock ?? wallClock).now();
  if (now >= row.expiresAt || now >= row.createdAt + SESSION_ABSOLUTE_MS || row.user.disabled || !isRole(row.user.role)) {
    await db().session.deleteMany({ where: { id } });
    return null;
  }
  let session: SessionInfo = { id: row.id, userId: row.userId, createdAt: row.createdAt, expiresAt: row.expiresAt, lastSeenAt: row.lastSeenAt };
  if (now - row.lastSeenAt >= SESSION_TOUCH_MS) {
    session = { ...session, lastSeenAt: now, expiresAt: expiry(row.createdAt, now) };
    // deleteMany/updateMany: a concurrent sign-out between the read and this write is not an error.
    await db().session.updateMany({ where: { id }, data: { lastSeenAt: session.lastSeenAt, expiresAt: session.expiresAt } });
  }
  return { user: { id: row.user.id, username: row.user.username, role: row.user.role }, session };
}

/** What ended: one session (sign-out) or all of a user's (disable, password change or reset). */
export type SessionsEnded = { sessionId: string } | { userId: string };
type SessionsEndedListener = (ended: SessionsEnded) => void;

// On globalThis: Next.js may load this module more than once (route handlers, server components).
const globalForSessions = globalThis as unknown as { bastionSessionsEnded?: Set<SessionsEndedListener> };
function endedListeners(): Set<SessionsEndedListener> {
  globalForSessions.bastionSessionsEnded ??= new Set();
  return globalForSessions.bastionSessionsEnded;
}

/** Told after sessions are deleted, so open streams (live events) can end at once. Returns the unsubscribe. */
export function onSessionsEnded(listener: SessionsEndedListener): () => void {
  endedListeners().add(listener);
  return () => endedListeners().delete(listener);
}

function announceEnded(ended: SessionsEnded): void {
  for (const listener of endedListeners()) {
    try {
      listener(ended);
    } catch {
      // a listener's failure must not fail a sign-out
    }
  }
}

export async function revokeSession(token: string): Promise<void> {
  const id = hashToken(token);
  await db().session.deleteMany({ where: { id } });
  announceEnded({ sessionId: id });
}

/** Signs the user out everywhere; returns how many sessions ended. */
export async function revokeAllForUser(userId: string): Promise<number> {
  const { count } = await db().session.deleteMany({ where: { userId } });
  announceEnded({ userId });
  return count;
}

/**
 * Is this session (by id) still valid for this user? Reads without refreshing lastSeenAt: an open stream must not
 * keep an idle session alive.
 */
export async function sessionStillValid(sessionId: string, userId: string, opts: SessionOptions = {}): Promise<boolean> {
  const row = await db().session.findUnique({ where: { id: sessionId }, include: { user: { select: { disabled: true, role: true } } } });
  const now = (opts.clock ?? wallClock).now();
  return !!row && row.userId === userId && now < row.expiresAt && now < row.createdAt + SESSION_ABSOLUTE_MS && !row.user.disabled && isRole(row.user.role);
}

/** Deletes expired sessions (housekeeping, run on sign-in). */
export async function purgeExpiredSessions(opts: SessionOptions = {}): Promise<number> {
  const now = (opts.clock ?? wallClock).now();
  const { count } = await db().session.deleteMany({ where: { expiresAt: { lte: now } } });
  return count;
}
