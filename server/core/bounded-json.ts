/**
 * A bounded, safe JSON summary of any value, for the audit log: whatever a caller sends (deeply nested, circular,
 * BigInt, a megabyte of text) is recorded as a small plain value that JSON.stringify cannot choke on. An audit row
 * stays a few kilobytes, and recording a refusal can never be what fails.
 */

export const AUDIT_LIMITS = {
  /** Serialized size of the whole summary. */
  maxChars: 4_000,
  maxDepth: 6,
  /** Keys of an object or items of a list kept. */
  maxEntries: 50,
  maxString: 200,
} as const;

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function cut(s: string, max: number): string {
  if (s.length <= max) return s;
  const end = /[\uD800-\uDBFF]/.test(s.charAt(max - 1)) ? max - 1 : max;
  return `${s.slice(0, end)}… (${s.length - end} more characters)`;
}

function summarize(value: unknown, depth: number, ancestors: Set<object>): Json | undefined {
  switch (typeof value) {
    case "undefined":
    case "function":
    case "symbol":
      return undefined;
    case "boolean":
      return value;
    case "number":
      return Number.isFinite(value) ? value : String(value);
    case "bigint":
      return cut(`${value.toString()}n`, AUDIT_LIMITS.maxString);
    case "string":
      return cut(value, AUDIT_LIMITS.maxString);
  }
  if (value === null) return null;
  const obj = value as object;
  if (ancestors.has(obj)) return "[circular]";
  if (depth >= AUDIT_LIMITS.maxDepth) return "[nested too deeply]";
  if (obj instanceof Date) return Number.isNaN(obj.getTime()) ? "[invalid date]" : obj.toISOString();
  if (obj instanceof Map) return `[Map of ${obj.size}]`;
  if (obj instanceof Set) return `[Set of ${obj.size}]`;
  if (obj instanceof RegExp) return cut(`[RegExp ${obj.source}]`, AUDIT_LIMITS.maxString);
  // Decimals and other values that say what they are.
  if (!Array.isArray(obj) && Object.getPrototypeOf(obj) !== Object.prototype && Object.getPrototypeOf(obj) !== null) {
    const text = (obj as { toString(): unknown }).toString();
    return typeof text === "string" ? cut(text, AUDIT_LIMITS.maxString) : "[object]";
  }
  ancestors.add(obj);
  try {
    if (Array.isArray(obj)) {
      const out: Json[] = [];
      for (const item of obj.slice(0, AUDIT_LIMITS.maxEntries)) out.push(summarize(item, depth + 1, ancestors) ?? null);
      if (obj.length > AUDIT_LIMITS.maxEntries) out.push(`… ${obj.length - AUDIT_LIMITS.maxEntries} more items`);
      return out;
    }
    const out: { [key: string]: Json } = {};
    const keys = Object.keys(obj);
    for (const key of keys.slice(0, AUDIT_LIMITS.maxEntries)) {
      const v = summarize((obj as Record<string, unknown>)[key], depth + 1, ancestors);
      if (v !== undefined) out[cut(key, 100)] = v;
    }
    if (keys.length > AUDIT_LIMITS.maxEntries) out["…"] = `${keys.length - AUDIT_LIMITS.maxEntries} more fields`;
    return out;
  } finally {
    ancestors.delete(obj);
  }
}

/** A plain JSON value that stands for `value`, at most AUDIT_LIMITS.maxChars when serialized. */
export function boundedJson(value: unknown): Json {
  const summary = summarize(value, 0, new Set()) ?? null;
  const text = JSON.stringify(summary);
  if (text.length <= AUDIT_LIMITS.maxChars) return summary;
  return { truncated: true, size: text.length, preview: cut(text, Math.floor(AUDIT_LIMITS.maxChars / 3)) };
}

/** Free text for an audit column (detail, reason): bounded. */
export function boundedText(text: string | null | undefined, max = 1_000): string | null {
  return text == null ? null : cut(text, max);
}
