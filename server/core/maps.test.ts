import { describe, expect, it } from "vitest";
import { entryOf } from "./maps";

describe("entryOf", () => {
  it("makes and stores a key's value once, then returns the stored one", () => {
    const groups = new Map<string, number[]>();
    let made = 0;
    const make = () => (made++, []);
    entryOf(groups, "a", make).push(1);
    entryOf(groups, "a", make).push(2);
    entryOf(groups, "b", make).push(3);
    expect([...groups]).toEqual([
      ["a", [1, 2]],
      ["b", [3]],
    ]);
    expect(made).toBe(2);
  });
});
