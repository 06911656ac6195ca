import { describe, expect, it } from "vitest";
import { countAfter } from "./recent-times";

/** The walk it replaces: the reference for every case. */
const walk = (times: readonly number[], bound: number) => times.filter((t) => t > bound).length;

describe("countAfter", () => {
  it.each([
    { times: [], bound: 0 },
    { times: [5], bound: 4 },
    { times: [5], bound: 5 },
    { times: [1, 2, 2, 2, 3, 9], bound: 2 },
    { times: [1, 2, 2, 2, 3, 9], bound: 0 },
    { times: [1, 2, 2, 2, 3, 9], bound: 9 },
    { times: [10, 20, 5, 30], bound: 6 }, // out of order (a clock set back): walked
    { times: [10, 20, 5, 30], bound: 25 },
  ])("counts the entries after $bound in $times as a walk does", ({ times, bound }) => {
    expect(countAfter(times, bound)).toBe(walk(times, bound));
  });

  it("follows a list as it grows, also when an entry arrives out of order", () => {
    const times: number[] = [];
    for (let i = 0; i < 200; i++) {
      times.push(i * 7);
      expect(countAfter(times, i * 3)).toBe(walk(times, i * 3));
    }
    times.push(3); // the clock went back: from here on the list is walked
    for (const bound of [0, 2, 3, 500, 1400]) expect(countAfter(times, bound)).toBe(walk(times, bound));
    times.push(2000);
    expect(countAfter(times, 1000)).toBe(walk(times, 1000));
  });

  it("checks a replaced (e.g. trimmed) list on its own", () => {
    let times = [1, 2, 3, 4, 5];
    expect(countAfter(times, 2)).toBe(3);
    times = times.slice(2);
    times.push(1); // out of order in the new list
    expect(countAfter(times, 0)).toBe(walk(times, 0));
    expect(countAfter(times, 2)).toBe(walk(times, 2));
  });
});
