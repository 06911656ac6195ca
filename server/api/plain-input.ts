/**
 * The input side of the tRPC transformer: inputs are plain JSON, nothing else.
 *
 * superjson's `meta` can turn any value into a Date, Map, Set, RegExp, BigInt, a registered class or a reference to
 * another part of the input (even a cycle), and `z.object` accepts a Date or a Map as `{}`; an unregistered type name
 * overflows superjson's stack. No procedure wants any of that (times are epoch milliseconds), so the only annotation
 * accepted is `undefined` (what the client's superjson writes for an omitted optional value); referential
 * equalities are dropped (the JSON already holds full copies). Everything else is a 400 before superjson looks at it.
 *
 * The JSON itself is checked too: strings (and keys) must be well-formed Unicode (a lone surrogate cannot be stored
 * and used to answer 500), nesting and size are bounded, and `__proto__` is never a key.
 */
import { TRPCError } from "@trpc/server";
import superjson from "superjson";
import { DomainError } from "../core/errors";

export const PLAIN_INPUT_LIMITS = {
  /** Deeper than any schema nests (the deepest is about 4). */
  maxDepth: 20,
  /** Values (objects, arrays, scalars) in one input. */
  maxValues: 5_000,
} as const;

/** A lone UTF-16 surrogate: not a character, cannot be encoded as UTF-8. */
const LONE_SURROGATE = /\p{Surrogate}/u;

export function isWellFormed(s: string): boolean {
  return !LONE_SURROGATE.test(s);
}

function refuse(message: string): never {
  throw new TRPCError({ code: "BAD_REQUEST", message, cause: new DomainError("VALIDATION", message) });
}

function shownPath(path: readonly (string | number)[]): string {
  if (path.length === 0) return "the input";
  const text = path.map(String).join(".");
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/** Throws a 400 unless `value` is plain, well-formed, bounded JSON. Iterative: a deep input cannot overflow the stack. */
export function assertPlainJson(value: unknown): void {
  const stack: { v: unknown; path: (string | number)[] }[] = [{ v: value, path: [] }];
  let seen = 0;
  for (let item = stack.pop(); item; item = stack.pop()) {
    const { v, path } = item;
    if (++seen > PLAIN_INPUT_LIMITS.maxValues) refuse(`The input is too large: at most ${PLAIN_INPUT_LIMITS.maxValues} values.`);
    if (path.length > PLAIN_INPUT_LIMITS.maxDepth) refuse(`The input is nested too deeply: at most ${PLAIN_INPUT_LIMITS.maxDepth} levels.`);
    if (v === null || typeof v === "boolean") continue;
    if (typeof v === "number") {
      if (!Number.isFinite(v)) refuse(`${shownPath(path)} must be a finite number.`);
      continue;
    }
    if (typeof v === "string") {
      if (!isWellFormed(v)) refuse(`${shownPath(path)} is not valid text: it contains a broken character (a lone UTF-16 surrogate).`);
      continue;
    }
    if (Array.isArray(v)) {
      v.forEach((x, i) => stack.push({ v: x, path: [...path, i] }));
      continue;
    }
    if (isPlainObject(v)) {
      for (const key of Object.keys(v)) {
        if (!isWellFormed(key)) refuse(`A field name in ${shownPath(path)} is not valid text: it contains a broken character (a lone UTF-16 surrogate).`);
        if (key === "__proto__") refuse(`${shownPath(path)} has a field named __proto__, which is not accepted.`);
        stack.push({ v: v[key], path: [...path, key] });
      }
      continue;
    }
    refuse(`${shownPath(path)} must be plain JSON (text, numbers, true/false, null, lists and objects).`);
  }
}

const UNDEFINED = ["undefined"] as const;

function isUndefinedAnnotation(a: unknown): boolean {
  return Array.isArray(a) && a.length === 1 && a[0] === UNDEFINED[0];
}

function typeNameOf(a: unknown): string {
  const first: unknown = Array.isArray(a) ? a[0] : a;
  const name: unknown = Array.isArray(first) ? first[0] : first;
  const text = typeof name === "string" ? name : "an unknown type";
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

const NOT_PLAIN = "Inputs must be plain JSON: dates, maps, sets, regular expressions, big integers and other special types are not accepted";

/**
 * superjson's envelope `{ json, meta? }` → the input, refusing every annotation but `undefined`. Throws a tRPC
 * BAD_REQUEST (domain code VALIDATION) that tRPC reports as the procedure's error; the procedure never runs.
 */
export function deserializePlainInput(payload: unknown): unknown {
  if (payload === undefined) return undefined;
  if (!isPlainObject(payload) || Object.keys(payload).some((k) => k !== "json" && k !== "meta")) {
    refuse('Inputs are sent in superjson\'s envelope: { "json": <the input>, "meta"?: … }.');
  }
  const { json, meta } = payload;
  if (meta === undefined) {
    assertPlainJson(json ?? null);
    return json;
  }
  if (!isPlainObject(meta) || Object.keys(meta).some((k) => k !== "values" && k !== "referentialEqualities" && k !== "v")) {
    refuse(`${NOT_PLAIN}.`);
  }
  const values = meta.values;
  if (values !== undefined) {
    if (Array.isArray(values)) {
      // An annotation of the whole input: only "the input is undefined" is plain.
      if (!isUndefinedAnnotation(values)) refuse(`${NOT_PLAIN} (found ${typeNameOf(values)}).`);
      return undefined;
    }
    if (!isPlainObject(values)) refuse(`${NOT_PLAIN}.`);
    for (const [path, annotation] of Object.entries(values)) {
      if (!isUndefinedAnnotation(annotation)) refuse(`${NOT_PLAIN} (found ${typeNameOf(annotation)} at ${shownPath([path])}).`);
    }
  }
  assertPlainJson(json ?? null);
  if (values === undefined || Object.keys(values).length === 0) return json;
  // Only `undefined` annotations are left; superjson applies them (it guards its paths against prototype keys).
  try {
    return superjson.deserialize({ json: json as never, meta: { values: values as never } });
  } catch {
    refuse("The input's superjson meta names a field the input does not have.");
  }
}

/** superjson for outputs; plain JSON only for inputs. */
export const plainInputTransformer = {
  input: {
    serialize: (value: unknown) => superjson.serialize(value),
    deserialize: deserializePlainInput,
  },
  output: {
    serialize: (value: unknown) => superjson.serialize(value),
    deserialize: (value: unknown) => superjson.deserialize(value as Parameters<typeof superjson.deserialize>[0]),
  },
};
