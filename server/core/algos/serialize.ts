/**
 * Parent state to and from JSON text, for the engine's store: Decimals are written as `{ "$decimal": "1.23" }` so
 * they come back as Decimals (never floats), and a state of another layout version is refused, not misread.
 */
import { Decimal } from "../money";
import { err, ok, type Result } from "../errors";
import { type ParentState } from "./types";

const TAG = "$decimal";

export function serializeParentState(state: ParentState): string {
  return JSON.stringify(state, function (this: Record<string, unknown>, key: string, value: unknown) {
    // `value` has already been through Decimal#toJSON (a string); the holder still has the Decimal.
    const original = key === "" ? value : this[key];
    return original instanceof Decimal || Decimal.isDecimal(original) ? { [TAG]: original.toString() } : value;
  });
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
