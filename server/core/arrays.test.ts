import { describe, expect, it } from "vitest";
import { appended } from "./arrays";

describe("appended", () => {
  it.each([[[] as number[]], [[1]], [[1, 2]], [[1, 2, 3, 4, 5]]])("adds one item after %j in a new array, leaving the list as it was", (list) => {
    const before = [...list];
    const next = appended(list, 9);
    expect(next).toEqual([...before, 9]);
    expect(next).not.toBe(list);
    expect(list).toEqual(before);
  });
});
