import { describe, expect, it } from "vitest";
import { seededRng } from "../rng";
import { WindowExtremes } from "./window-extremes";

describe("WindowExtremes", () => {
  it("agrees with a brute-force scan of the window on 20,000 random points (uneven gaps, repeated values)", () => {
    const rng = seededRng(13);
    const windowMs = 60_000;
    const extremes = new WindowExtremes(windowMs);
    const points: { ts: number; value: number }[] = [];
    let ts = 0;
    for (let i = 0; i < 20_000; i++) {
      ts += Math.floor(rng.next() * 20_000);
      const value = Math.round(rng.next() * 50);
      points.push({ ts, value });
      extremes.add(ts, value);
      const inWindow = points.filter((p) => p.ts >= ts - windowMs).map((p) => p.value);
      expect(extremes.min()!.value).toBe(Math.min(...inWindow));
      expect(extremes.max()!.value).toBe(Math.max(...inWindow));
      if (points.length > 200) points.splice(0, 100);
    }
  });

  it("keeps a point exactly one window old and drops it a millisecond later", () => {
    const extremes = new WindowExtremes(1_000);
    extremes.add(0, 10);
    extremes.add(1_000, 5);
    expect(extremes.max()).toEqual({ ts: 0, value: 10 });
    extremes.add(1_001, 6);
    expect(extremes.max()).toEqual({ ts: 1_001, value: 6 });
    expect(extremes.min()).toEqual({ ts: 1_000, value: 5 });
  });

  it("refuses a window that is not positive", () => {
    expect(() => new WindowExtremes(0)).toThrow(RangeError);
  });
});
