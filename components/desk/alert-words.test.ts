import { describe, expect, it } from "vitest";
import { alertBadgeName } from "./alert-words";

describe("alertBadgeName", () => {
  it.each<{ total: number; bySeverity: Record<string, number>; expected: string }>([
    { total: 0, bySeverity: {}, expected: "No alerts" },
    { total: 1, bySeverity: { info: 1 }, expected: "1 alert" },
    { total: 3, bySeverity: { critical: 1, info: 2 }, expected: "3 alerts, 1 critical" },
    { total: 4, bySeverity: { critical: 1, warning: 2, info: 1 }, expected: "4 alerts, 1 critical, 2 warning" },
  ])("$expected", ({ total, bySeverity, expected }) => {
    expect(alertBadgeName(total, bySeverity)).toBe(expected);
  });
});
