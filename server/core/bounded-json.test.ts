import { describe, expect, it } from "vitest";
import { AUDIT_LIMITS, boundedJson, boundedText } from "./bounded-json";

const circular: Record<string, unknown> = { a: 1 };
circular.self = circular;
let deep: unknown = "bottom";
for (let i = 0; i < 100; i++) deep = { d: deep };

describe("boundedJson", () => {
  it.each([
    ["plain values as they are", { a: 1, b: "x", c: [true, null] }, { a: 1, b: "x", c: [true, null] }],
    ["a cycle", circular, { a: 1, self: "[circular]" }],
    ["a BigInt", { n: 12n }, { n: "12n" }],
    ["NaN and Infinity", { x: Number.NaN, y: Number.POSITIVE_INFINITY }, { x: "NaN", y: "Infinity" }],
    [
      "a Date, a Map, a Set, a RegExp",
      [new Date(0), new Map([[1, 2]]), new Set([1]), /ab/],
      ["1970-01-01T00:00:00.000Z", "[Map of 1]", "[Set of 1]", "[RegExp ab]"],
    ],
    ["undefined and functions dropped", { u: undefined, f: () => 1, k: 1 }, { k: 1 }],
  ])("%s", (_name, input, expected) => {
    expect(boundedJson(input)).toEqual(expected);
  });

  it("cuts depth, long text, long lists and the total size", () => {
    expect(JSON.stringify(boundedJson(deep))).toContain("[nested too deeply]");
    const long = boundedJson({ s: "é".repeat(5_000) }) as { s: string };
    expect(long.s).toMatch(/… \(4800 more characters\)$/);
    const list = boundedJson(Array.from({ length: 500 }, (_, i) => i)) as unknown[];
    expect(list).toHaveLength(AUDIT_LIMITS.maxEntries + 1);
    const wide = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, "x".repeat(190)]));
    const summary = boundedJson(wide);
    expect(summary).toMatchObject({ truncated: true });
    expect(JSON.stringify(summary).length).toBeLessThanOrEqual(AUDIT_LIMITS.maxChars);
  });

  it("never cuts a surrogate pair in half", () => {
    const text = boundedText(`${"a".repeat(9)}😀😀`, 10)!;
    expect(text.startsWith("a".repeat(9))).toBe(true);
    expect(/\p{Surrogate}/u.test(text)).toBe(false);
  });
});
