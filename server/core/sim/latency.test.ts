import { describe, it, expect } from "vitest";
import { type Rng } from "../rng";
import { sampleLatency, type LatencyModel } from "./latency";
import { RollingVolatility } from "./volatility";

/** A fake Rng that replays fixed draws and counts them. */
function fixedRng(...draws: number[]): Rng & { calls: number } {
  const rng = {
    calls: 0,
    next(): number {
      const value = draws[rng.calls % draws.length]!;
      rng.calls += 1;
      return value;
    },
  };
  return rng;
}

describe("sampleLatency", () => {
  it.each<[string, LatencyModel, number[], number, number]>([
    ["a fixed number", 25, [0.5], 25, 0],
    ["negative is clamped to zero", -5, [0.5], 0, 0],
    ["fixed part without jitter draws nothing", { fixedMs: 10 }, [0.5], 10, 0],
    ["jitter low end", { fixedMs: 10, jitterMs: 20 }, [0], 10, 1],
    ["jitter high end is inclusive", { fixedMs: 10, jitterMs: 20 }, [0.9999], 30, 1],
    ["jitter middle", { fixedMs: 10, jitterMs: 20 }, [0.5], 20, 1],
  ])("%s", (_name, model, draws, expected, calls) => {
    const rng = fixedRng(...draws);
    expect(sampleLatency(model, rng)).toBe(expected);
    expect(rng.calls).toBe(calls);
  });
});

describe("RollingVolatility", () => {
  it("is undefined until two returns exist, then the sample stdev of log returns", () => {
    const vol = new RollingVolatility(20);
    vol.add(100);
    vol.add(110);
    expect(vol.value()).toBeUndefined();
    vol.add(99);
    const r1 = Math.log(1.1);
    const r2 = Math.log(0.9);
    const mean = (r1 + r2) / 2;
    expect(vol.value()).toBeCloseTo(Math.sqrt((r1 - mean) ** 2 + (r2 - mean) ** 2), 12);
  });

  it("forgets returns older than the window", () => {
    const vol = new RollingVolatility(2);
    for (const p of [100, 200, 100, 101, 102.01]) vol.add(p);
    // only the last two returns (both ln 1.01) remain → zero dispersion
    expect(vol.value()).toBeCloseTo(0, 12);
  });

  it("ignores non-positive prices", () => {
    const vol = new RollingVolatility(5);
    for (const p of [100, 0, -1, 100, 100]) vol.add(p);
    expect(vol.value()).toBe(0);
  });
});
