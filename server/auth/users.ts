/**
 * Users: create, set password, set role, disable/enable, list, check credentials.
 * Usernames are case-insensitive (stored in lower case): 3–32 characters of a–z, 0–9, ".", "_", "-", starting with
 * a letter or digit. Errors are DomainErrors with plain sentences.
 */
import "server-only";
import { randomUUID } from "node:crypto";
import { type Clock } from "../core/clock";
import { db } from "../db/client";
import { DomainError } from "../core/errors";
import { wallClock } from "./clock";
import { burnPasswordCheck, checkPasswordPolicy, hashPassword, needsRehash, verifyPassword, type ScryptParams } from "./password";
import { ROLES, isRole, type Role } from "./roles";
import { revokeAllForUser } from "./sessions";

export { ROLES, hasRole, isRole, roleRank, type Role } from "./roles";

export interface UserInfo {
  id: string;
  username: string;
  role: Role;
  disabled: boolean;
  createdAt: number;
  updatedAt: number;
}

export interface UserOptions {
  clock?: Clock;
  /** Tests use cheap scrypt parameters. */
  scrypt?: ScryptParams;
}

const USERNAME = /^[a-z0-9][a-z0-9._-]{2,31}$/;

export function normalizeUsername(raw: string): string {
  return raw.trim().toLowerCase();
}

/** null when valid, else a plain sentence. Expects a normalized name. */
export function usernameProblem(username: string): string | null {
  if (username.length < 3) return "A username needs at least 3 characters.";
  if (username.length > 32) return "A username has at most 32 characters.";
  if (!USERNAME.test(username)) return "A username uses only letters, digits, '.', '_' and '-', and starts with a letter or digit.";
  return null;
}

function parseUsername(raw: string): string {
  const username = normalizeUsername(raw);
  const problem = usernameProblem(username);
  if (problem) throw new DomainError("INVALID_USERNAME", problem);
  return username;
}

function parseRole(raw: string): Role {
  if (!isRole(raw)) throw new DomainError("INVALID_ROLE", `Unknown role "${raw}": use one of ${ROLES.join(", ")}.`);
  return raw;
}

function checkPolicy(password: string, username: string): void {
  const policy = checkPasswordPolicy(password, username);
  if (!policy.ok) throw new DomainError("WEAK_PASSWORD", policy.message);
}

interface UserRow {
  id: string;
  username: string;
  role: string;
  disabled: boolean;
  createdAt: number;
  updatedAt: number;
}

function toInfo(row: UserRow): UserInfo {
  // A role outside the list (edited by hand) is read as the lowest role: it never grants more.
  return {
    id: row.id,
    username: row.username,
    role: isRole(row.role) ? row.role : "viewer",
    disabled: row.disabled,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

const PUBLIC_FIELDS = { id: true, username: true, role: true, disabled: true, createdAt: true, updatedAt: true } as const;

async function requireUser(username: string): Promise<UserRow> {
  const row = await db().user.findUnique({ where: { username: normalizeUsername(username) }, select: PUBLIC_FIELDS });
  if (!row) throw new DomainError("NOT_FOUND", `There is no user named "${normalizeUsername(username)}".`);
  return row;
}

export async function findUser(username: string): Promise<UserInfo | null> {
  const row = await db().user.findUnique({ where: { username: normalizeUsername(username) }, select: PUBLIC_FIELDS });
  return row ? toInfo(row) : null;
}

export async function countUsers(): Promise<number> {
  return db().user.count();
}

export async function listUsers(): Promise<UserInfo[]> {
  const rows = await db().user.findMany({ select: PUBLIC_FIELDS, orderBy: { username: "asc" } });
  return rows.map(toInfo);
}

export async function createUser(input: { username: string; password: string; role: string }, opts: UserOptions = {}): Promise<UserInfo> {
  const username = parseUsername(input.username);
  const role = parseRole(input.role);
  checkPolicy(input.password, username);
  if (await db().user.findUnique({ where: { username }, select: { id: true } })) {
    throw new DomainError("ALREADY_EXISTS", `A user named "${username}" already exists.`);
  }
  const passwordHash = await hashPassword(input.password, opts.scrypt);
  const now = (opts.clock ?? wallClock).now();
  try {
    const row = await db().user.create({
      data: { id: `usr-${randomUUID()}`, username, passwordHash, role, disabled: false, createdAt: now, updatedAt: now },
      select: PUBLIC_FIELDS,
    });
    return toInfo(row);
  } catch (e) {
    if ((e as { code?: unknown }).code === "P2002") throw new DomainError("ALREADY_EXISTS", `A user named "${username}" already exists.`);
    throw e;
  }
}

/** Sets a new password (policy checked) and signs the user out everywhere. */
export async function setPassword(username: string, password: string, opts: UserOptions = {}): Promise<void> {
  const user = await requireUser(username);
  checkPolicy(password, user.username);
  const passwordHash = await hashPassword(password, opts.scrypt);
  await db().user.update({ where: { id: user.id }, data: { passwordHash, updatedAt: (opts.clock ?? wallClock).now() } });
  await revokeAllForUser(user.id);
}

/** Refuses to leave the desk without an enabled admin. */
async function assertNotLastAdmin(user: UserRow, what: string): Promise<void> {
  if (user.role !== "admin" || user.disabled) return;
  const others = await db().user.count({ where: { role: "admin", disabled: false, id: { not: user.id } } });
  if (others === 0) {
    throw new DomainError(
      "LAST_ADMIN",
      `"${user.username}" is the only enabled admin; ${what} would leave nobody able to manage users. Make another admin first.`,
    );
  }
}

export async function setRole(username: string, role: string, opts: UserOptions = {}): Promise<UserInfo> {
  const newRole = parseRole(role);
  const user = await requireUser(username);
  if (user.role === newRole) return toInfo(user);
  if (newRole !== "admin") await assertNotLastAdmin(user, `making them ${newRole === "viewer" ? "a viewer" : "a trader"}`);
  const row = await db().user.update({ where: { id: user.id }, data: { role: newRole, updatedAt: (opts.clock ?? wallClock).now() }, select: PUBLIC_FIELDS });
  return toInfo(row);
}

/** Disables the account and signs it out everywhere. */
export async function disableUser(username: string, opts: UserOptions = {}): Promise<UserInfo> {
  const user = await requireUser(username);
  await assertNotLastAdmin(user, "disabling them");
  const row = await db().user.update({ where: { id: user.id }, data: { disabled: true, updatedAt: (opts.clock ?? wallClock).now() }, select: PUBLIC_FIELDS });
  await revokeAllForUser(user.id);
  return toInfo(row);
}

export async function enableUser(username: string, opts: UserOptions = {}): Promise<UserInfo> {
  const user = await requireUser(username);
  const row = await db().user.update({ where: { id: user.id }, data: { disabled: false, updatedAt: (opts.clock ?? wallClock).now() }, select: PUBLIC_FIELDS });
  return toInfo(row);
}

export type CredentialCheck = { ok: true; user: UserInfo } | { ok: false; code: "BAD_CREDENTIALS" | "ACCOUNT_DISABLED" };

/**
 * Checks a username and password. An unknown user costs the same time as a wrong password. A disabled account is
 * reported only when the password is right. A hash made with weaker parameters is upgraded on success.
 */
export async function verifyCredentials(rawUsername: string, password: string, opts: UserOptions = {}): Promise<CredentialCheck> {
  const username = normalizeUsername(rawUsername);
  const row = await db().user.findUnique({ where: { username } });
  if (!row) {
    await burnPasswordCheck(password);
    return { ok: false, code: "BAD_CREDENTIALS" };
  }
  if (!(await verifyPassword(password, row.passwordHash))) return { ok: false, code: "BAD_CREDENTIALS" };
  if (row.disabled) return { ok: false, code: "ACCOUNT_DISABLED" };
  if (needsRehash(row.passwordHash, opts.scrypt)) {
    await db().user.update({ where: { id: row.id }, data: { passwordHash: await hashPassword(password, opts.scrypt) } });
  }
  return { ok: true, user: toInfo(row) };
}
