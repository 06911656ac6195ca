import { describe, expect, it } from "vitest";
import { DAY_MS, HOUR_MS, MINUTE_MS } from "../clock";
import { learnVolumeProfile, learnVolumeProfileBefore, profileBucketFor, type VolumeSample } from "./volume-profile";

const H = HOUR_MS;
/** One sample per hour of `days` days, volume by hour of day. */
const hourly = (days: number, volumeAt: (hour: number, day: number) => number): VolumeSample[] =>
  Array.from({ length: days * 24 }, (_, i) => ({ ts: i * H, volume: volumeAt(i % 24, Math.floor(i / 24)) }));
/** Shares as ratios to bucket 0 (rounded), so expectations read as the volumes that made them. */
const ratios = (shares: number[], buckets: number[]) => buckets.map((b) => Math.round((shares[b]! / shares[0]!) * 1000) / 1000);

describe("learnVolumeProfile", () => {
  it.each<[string, VolumeSample[], number[], number[]]>([
    // name, candles, buckets looked at, their shares relative to bucket 0
    ["no candles: flat", [], [0, 5, 23], [1, 1, 1]],
    ["the 14:00 hour trades three times the rest", hourly(2, (h) => (h === 14 ? 3 : 1)), [0, 13, 14, 15], [1, 1, 3, 1]],
    ["a mean over the days seen", hourly(2, (h, d) => (h === 5 ? (d === 0 ? 2 : 4) : 1)), [0, 5], [1, 3]],
    // Hour 5 is missing on day 1: its mean is day 0's 2 (missing is not zero).
    ["a bucket missing on one day is not dragged down", hourly(2, (h) => (h === 5 ? 2 : 1)).filter((c) => c.ts !== 29 * H), [0, 5], [1, 2]],
    // Only hours 0 and 1 were seen (1 and 3): every other hour counts as their mean, 2.
    [
      "buckets never seen count as the mean of those seen",
      [
        { ts: 0, volume: 1 },
        { ts: H, volume: 3 },
      ],
      [0, 1, 2, 23],
      [1, 3, 2, 2],
    ],
    [
      "negative and non-finite volumes are ignored",
      [
        { ts: 0, volume: 1 },
        { ts: H, volume: -5 },
        { ts: 2 * H, volume: Number.NaN },
        { ts: 25 * H, volume: 3 },
      ],
      [0, 1, 2],
      [1, 3, 2],
    ],
    ["times before 1970 fall in their hour of day", [{ ts: -DAY_MS + 3 * H, volume: 5 }, ...hourly(1, () => 1).filter((c) => c.ts !== 3 * H)], [0, 3], [1, 5]],
  ])("%s", (_, candles, buckets, expected) => {
    const profile = learnVolumeProfile(candles, H);
    expect(profile.shares).toHaveLength(24);
    expect(profile.shares.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(ratios(profile.shares, buckets)).toEqual(expected);
  });

  it.each([0, -H, 7 * H, 1.5])("refuses a bucket of %s ms (it must divide a day)", (bucketMs) => {
    expect(() => learnVolumeProfile([], bucketMs)).toThrow(/must divide a day/);
  });
});

describe("learnVolumeProfileBefore: only candles closed when the parent starts", () => {
  // Hourly candles: hour 0 trades 1, hour 1 trades 100, hour 2 trades 10.
  const candles: VolumeSample[] = [
    { ts: 0, volume: 1 },
    { ts: H, volume: 100 },
    { ts: 2 * H, volume: 10 },
  ];
  it.each<[string, number, number[]]>([
    // name, start, shares of hours 0, 1, 2 relative to hour 0
    ["before the first close: nothing known, flat", H - 1, [1, 1, 1]],
    ["at the first close: hour 0 only (the rest count as it)", H, [1, 1, 1]],
    ["inside hour 1: hour 1 has not closed, it is not known", 1.5 * H, [1, 1, 1]],
    ["at hour 1's close: hours 0 and 1; hour 2 counts as their mean", 2 * H, [1, 100, 50.5]],
    ["after everything closed", 10 * H, [1, 100, 10]],
  ])("%s", (_, before, expected) => {
    const profile = learnVolumeProfileBefore(candles, { before, candleMs: H });
    expect(profile.bucketMs).toBe(H);
    expect(ratios(profile.shares, [0, 1, 2])).toEqual(expected);
  });

  it("uses buckets of the candles' own length when it divides a day", () => {
    const fiveMinute = [
      { ts: 0, volume: 1 },
      { ts: 5 * MINUTE_MS, volume: 4 },
    ];
    const profile = learnVolumeProfileBefore(fiveMinute, { before: DAY_MS, candleMs: 5 * MINUTE_MS });
    expect(profile.shares).toHaveLength(288);
    expect(ratios(profile.shares, [0, 1, 2])).toEqual([1, 4, 2.5]);
  });
});

describe("profileBucketFor", () => {
  it.each<[number, number]>([
    [MINUTE_MS, MINUTE_MS],
    [5 * MINUTE_MS, 5 * MINUTE_MS],
    [H, H],
    [DAY_MS, DAY_MS],
    // Not a divisor of a day: the widest divisor below it.
    [7 * MINUTE_MS, 5 * MINUTE_MS],
    [5 * H, 4 * H],
    [2 * DAY_MS, DAY_MS],
    [1000, MINUTE_MS],
  ])("bars of %s ms → buckets of %s ms", (barMs, bucketMs) => {
    expect(profileBucketFor(barMs)).toBe(bucketMs);
  });
});
