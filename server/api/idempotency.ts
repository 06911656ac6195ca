/**
 * Idempotency keys for manual mutations: a retried click must not act twice.
 *
 * A mutation's input may carry `idempotencyKey` (the dashboard makes one per confirm dialog). The first call with
 * a key runs and its answer is kept per (user, key); a call with the same key — concurrent or later — gets that
 * answer back without running again. The same key for another procedure or another input is refused (409).
 * Definite answers are kept (a result, or a refusal such as a validation error or TRADING_HALTED); an internal
 * error is not, so a retry after a 500 runs again. Keys are kept for KEY_TTL_MS.
 */
import { createHash } from "node:crypto";
import { TRPCError } from "@trpc/server";
import superjson from "superjson";
import { db } from "../db/client";
import { DomainError, isDomainError } from "../core/errors";
import { toTrpcError } from "./errors";

export const IDEMPOTENCY_KEY = /^[A-Za-z0-9_-]{8,100}$/;
export const KEY_TTL_MS = 24 * 60 * 60_000;

type Stored =
  | { ok: true; data: unknown }
  | { ok: false; error: { code: TRPCError["code"]; domainCode: string | null; message: string; details: Record<string, unknown> | null } };

interface Row {
  path: string;
  inputHash: string;
  result: Stored;
}

const inFlight = new Map<string, Promise<Row>>();

function refuse(code: "BAD_REQUEST" | "CONFLICT", domainCode: string, message: string): never {
  throw new TRPCError({ code, message, cause: new DomainError(domainCode, message) });
}

/** The key and the input without it; null when the input carries none. Throws a 400 for a malformed key. */
export function splitIdempotencyKey(raw: unknown): { key: string; input: Record<string, unknown> } | null {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw) || !("idempotencyKey" in raw)) return null;
  const { idempotencyKey: key, ...input } = raw as Record<string, unknown>;
  if (key === undefined) return null;
  if (typeof key !== "string" || !IDEMPOTENCY_KEY.test(key)) {
    refuse("BAD_REQUEST", "VALIDATION", "idempotencyKey must be 8 to 100 letters, digits, - or _ (one per action, e.g. a UUID).");
  }
  return { key, input };
}

function hashOf(path: string, input: unknown): string {
  return createHash("sha256")
    .update(path)
    .update("\u0000")
    .update(JSON.stringify(input) ?? "")
    .digest("hex");
}

/** A middleware result as tRPC's procedure caller reads it. */
export interface CallResult {
  ok: boolean;
  data?: unknown;
  error?: TRPCError;
}

function toStored(result: CallResult): Stored | null {
  if (result.ok) return { ok: true, data: result.data };
  // A domain refusal still carries INTERNAL_SERVER_ERROR here (mapDomainErrors, outside, gives it its code).
  const error = result.error && isDomainError(result.error.cause) ? toTrpcError(result.error.cause) : result.error;
  if (!error || error.code === "INTERNAL_SERVER_ERROR") return null;
  const cause = error.cause;
  return {
    ok: false,
    error: {
      code: error.code,
      domainCode: isDomainError(cause) ? cause.code : null,
      message: error.message,
      details: isDomainError(cause) ? (cause.details ?? null) : null,
    },
  };
}

async function load(actor: string, key: string): Promise<Row | null> {
  const row = await db().idempotencyKey.findUnique({ where: { actor_key: { actor, key } } });
  return row ? { path: row.path, inputHash: row.inputHash, result: superjson.parse<Stored>(row.result) } : null;
}

async function save(actor: string, key: string, row: Row, now: number): Promise<void> {
  await db().$transaction([
    db().idempotencyKey.deleteMany({ where: { createdAt: { lt: now - KEY_TTL_MS } } }),
    db().idempotencyKey.create({ data: { actor, key, path: row.path, inputHash: row.inputHash, createdAt: now, result: superjson.stringify(row.result) } }),
  ]);
}

/**
 * Runs `call` once per (actor, key): the result is returned as tRPC's middleware result (`replayed` builds one from a
 * kept answer; it throws a kept refusal). `call` gets the input without the key.
 */
export async function runOnce<R extends CallResult>(
  scope: { actor: string; key: string; path: string; input: unknown; now?: () => number },
  call: () => Promise<R>,
  replayed: (data: unknown) => R,
): Promise<R> {
  const id = `${scope.actor}\u0000${scope.key}`;
  const inputHash = hashOf(scope.path, scope.input);
  const answer = (row: Row): R => {
    if (row.path !== scope.path || row.inputHash !== inputHash) {
      refuse("CONFLICT", "IDEMPOTENCY_KEY_REUSED", "This idempotency key was already used for a different action; make a new key for a new action.");
    }
    if (row.result.ok) return replayed(row.result.data);
    const e = row.result.error;
    throw new TRPCError({ code: e.code, message: e.message, cause: new DomainError(e.domainCode ?? "REFUSED", e.message, e.details ?? undefined) });
  };
  const pending = inFlight.get(id);
  if (pending) return answer(await pending);
  // Registered before the first await: a concurrent call with the same key waits for this one.
  let first: R | undefined;
  const running = (async (): Promise<Row> => {
    const known = await load(scope.actor, scope.key);
    if (known) return known;
    first = await call();
    const stored = toStored(first);
    const row: Row = {
      path: scope.path,
      inputHash,
      result: stored ?? {
        ok: false,
        error: { code: "INTERNAL_SERVER_ERROR", domainCode: null, message: "The first attempt failed; try again.", details: null },
      },
    };
    if (stored) await save(scope.actor, scope.key, row, (scope.now ?? Date.now)());
    return row;
  })();
  inFlight.set(id, running);
  let row: Row;
  try {
    row = await running;
  } finally {
    inFlight.delete(id);
  }
  return first ?? answer(row);
}
