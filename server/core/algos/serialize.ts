/**
 * Parent state to and from JSON text, for the engine's store: Decimals are written as `{ "$decimal": "1.23" }` so
 * they come back as Decimals (never floats), and a state of another layout version is refused, not misread.
 */
import { Decimal } from "../money";
import { err, ok, type Result } from "../errors";
import { type ParentState } from "./types";

const TAG = "$decimal";

export function serializeParentState(state: ParentState): string {
  // One walk that tags the Decimals, then a plain stringify: a replacer looked up every key's holder again, and the
  // engine saves a parent on every step, so this is its hot path.
  return JSON.stringify(tagged(state));
}

function tagged(value: unknown): unknown {
  if (value === null || typeof value !== "object") return value;
  if (value instanceof Decimal) return { [TAG]: value.toString() };
  if (Array.isArray(value)) return value.map(tagged);
  if (Decimal.isDecimal(value)) return { [TAG]: value.toString() };
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const v = (value as Record<string, unknown>)[key];
    if (v !== undefined) out[key] = tagged(v);
  }
  return out;
}

export function parseParentState(text: string): Result<ParentState, "INVALID_PARENT_STATE"> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text, (_key, value: unknown) => {
      if (value !== null && typeof value === "object" && !Array.isArray(value)) {
        const record = value as Record<string, unknown>;
        const keys = Object.keys(record);
        if (keys.length === 1 && keys[0] === TAG && typeof record[TAG] === "string") return new Decimal(record[TAG]);
      }
      return value;
    });
  } catch (e) {
    return err("INVALID_PARENT_STATE", `The stored parent state is not JSON: ${(e as Error).message}`);
  }
  const candidate = parsed as Partial<ParentState> | null;
  if (candidate === null || typeof candidate !== "object" || candidate.version !== 1 || !candidate.spec || !Array.isArray(candidate.children)) {
    return err("INVALID_PARENT_STATE", "The stored parent state is not a version 1 parent state.");
  }
  return ok(candidate as ParentState);
}
