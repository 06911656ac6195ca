/**
 * JSON for domain objects that hold Decimals (orders, positions, exit state): Decimals are written as
 * {"$d":"1.23"} and revived as Decimals, so a round trip through the database is exact.
 */
import { Decimal } from "../core/money";

export function encodeJson(value: unknown): string {
  return JSON.stringify(value, function replacer(this: Record<string, unknown>, key: string, v: unknown) {
    const original = key === "" ? value : this[key];
    return Decimal.isDecimal(original) ? { $d: original.toString() } : v;
  });
}

export function decodeJson<T>(text: string): T {
  return JSON.parse(text, (_key, v: unknown) => {
    if (v !== null && typeof v === "object" && "$d" in v && typeof (v).$d === "string" && Object.keys(v).length === 1) {
      return new Decimal((v as { $d: string }).$d);
    }
    return v;
  }) as T;
}
