import { describe, expect, it } from "vitest";
import { decimalsOf, fmtDuration, fmtNum, fmtPct, fmtSigned, fmtTime } from "./format";

describe("desk formatting", () => {
  it.each([
    ["0.01", 2],
    ["0.00001", 5],
    ["1", 0],
    ["0.10", 1],
    [1e-8, 8],
    [null, 2],
  ] as const)("decimalsOf(%j) = %i", (step, dp) => expect(decimalsOf(step)).toBe(dp));

  it("formats numbers with fixed decimals and signs", () => {
    expect(fmtNum("12345.678", 2)).toBe("12,345.68");
    expect(fmtNum("0.5", 5)).toBe("0.50000");
    expect(fmtNum(null)).toBe("—");
    expect(fmtNum("NaN")).toBe("—");
    expect(fmtSigned("-3.2", 2)).toBe("−3.20");
    expect(fmtSigned(3.2, 1)).toBe("+3.2");
    expect(fmtPct(-1.234, 2, true)).toBe("−1.23%");
  });

  it("formats times and durations", () => {
    expect(fmtTime(Date.UTC(2024, 0, 2, 3, 4, 5))).toBe("2024-01-02 03:04:05");
    expect(fmtDuration(12_000)).toBe("12s");
    expect(fmtDuration(250_000)).toBe("4m 10s");
    expect(fmtDuration(2 * 3600_000 + 5 * 60_000)).toBe("2h 05m");
    expect(fmtDuration(3 * 86_400_000 + 4 * 3600_000)).toBe("3d 4h");
  });
});
