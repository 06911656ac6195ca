import { describe, expect, it } from "vitest";
import { pageOf } from "./paging";

const rows = Array.from({ length: 500 }, (_, i) => i);

describe("client-side pages", () => {
  it("shows 50 of 500 rows a page", () => {
    expect(pageOf(rows, 0)).toMatchObject({ page: 0, pages: 10, from: 1, to: 50, total: 500 });
    expect(pageOf(rows, 0).rows).toHaveLength(50);
    expect(pageOf(rows, 9).rows.at(-1)).toBe(499);
  });

  it("clamps a page past the end (a filter shrank the list) and below zero", () => {
    expect(pageOf(rows.slice(0, 60), 9)).toMatchObject({ page: 1, from: 51, to: 60 });
    expect(pageOf(rows, -3).page).toBe(0);
  });

  it("has one empty page for no rows", () => {
    expect(pageOf([], 4)).toMatchObject({ page: 0, pages: 1, from: 0, to: 0, total: 0, rows: [] });
  });
});
