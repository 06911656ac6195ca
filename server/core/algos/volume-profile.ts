/**
 * An intraday volume profile learned from candles: the share of a day's volume traded in each time-of-day bucket
 * (UTC), used by VWAP to size its slices. Volumes and shares are floats: a profile is a statistic (a shape), and the
 * slice quantities built from it are exact Decimals that sum to the target (sizing.ts).
 */
import { DAY_MS } from "../clock";

export interface VolumeProfile {
  /** Bucket width in ms; a whole divisor of a day (e.g. one minute, five minutes, one hour). */
  bucketMs: number;
  /** One share per bucket of the UTC day, summing to 1. */
  shares: number[];
}

export interface VolumeSample {
  ts: number;
  volume: number;
}

/**
 * Learns the profile: the mean volume per bucket over the days seen (a bucket with no candle on a day does not drag
 * its mean down: missing is not zero), normalized. With no volume at all the profile is flat.
 */
export function learnVolumeProfile(candles: readonly VolumeSample[], bucketMs: number): VolumeProfile {
  if (!Number.isInteger(bucketMs) || bucketMs <= 0 || DAY_MS % bucketMs !== 0) {
    throw new RangeError(`learnVolumeProfile: the bucket (${bucketMs} ms) must divide a day`);
  }
  const buckets = DAY_MS / bucketMs;
  const totals = new Array<number>(buckets).fill(0);
  const counts = new Array<number>(buckets).fill(0);
  for (const candle of candles) {
    if (!Number.isFinite(candle.volume) || candle.volume < 0) continue;
    const bucket = Math.floor((((candle.ts % DAY_MS) + DAY_MS) % DAY_MS) / bucketMs);
    totals[bucket]! += candle.volume;
    counts[bucket]! += 1;
  }
  const means = totals.map((total, i) => (counts[i]! > 0 ? total / counts[i]! : 0));
  const sum = means.reduce((a, b) => a + b, 0);
  return { bucketMs, shares: sum > 0 ? means.map((m) => m / sum) : means.map(() => 1 / buckets) };
}

/** The profile's expected share of a day's volume in [from, to) (ms since epoch, any length, across midnight too). */
export function profileShare(profile: VolumeProfile, from: number, to: number): number {
  let share = 0;
  let t = from;
  while (t < to) {
    const inDay = ((t % DAY_MS) + DAY_MS) % DAY_MS;
    const bucket = Math.floor(inDay / profile.bucketMs);
    const bucketEnd = t - (inDay - (bucket + 1) * profile.bucketMs);
    const end = Math.min(bucketEnd, to);
    share += (profile.shares[bucket] ?? 0) * ((end - t) / profile.bucketMs);
    t = end;
  }
  return share;
}
