/**
 * An intraday volume profile learned from candles: the share of a day's volume traded in each time-of-day bucket
 * (UTC), used by VWAP to size its slices. Volumes and shares are floats: a profile is a statistic (a shape), and the
 * slice quantities built from it are exact Decimals that sum to the target (sizing.ts).
 *
 * A parent learns only from candles that had closed when it started (learnVolumeProfileBefore): in a backtest the
 * recorded future is at hand, and a VWAP sized by it would look ahead.
 */
import { DAY_MS, HOUR_MS, MINUTE_MS } from "../clock";

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
 * its mean down: missing is not zero), normalized. A bucket no candle fell in (a history shorter than a day) counts as
 * the mean of the buckets seen: unknown, not quiet. With no volume at all the profile is flat.
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
  const seen = totals.map((total, i) => (counts[i]! > 0 ? total / counts[i]! : null));
  const known = seen.filter((m): m is number => m !== null);
  const unknown = known.length > 0 ? known.reduce((a, b) => a + b, 0) / known.length : 0;
  const means = seen.map((m) => m ?? unknown);
  const sum = means.reduce((a, b) => a + b, 0);
  return { bucketMs, shares: sum > 0 ? means.map((m) => m / sum) : means.map(() => 1 / buckets) };
}

/** Bucket widths a profile may use: whole divisors of a day. */
const BUCKETS_MS = [1, 5, 15, 30].map((m) => m * MINUTE_MS).concat([1, 2, 3, 4, 6, 8, 12, 24].map((h) => h * HOUR_MS));

/** The bucket for bars of `barMs`: the bar itself when it divides a day, else the widest divisor of a day below it (at least a minute). */
export function profileBucketFor(barMs: number): number {
  if (Number.isInteger(barMs) && barMs >= MINUTE_MS && DAY_MS % barMs === 0) return barMs;
  return BUCKETS_MS.filter((b) => b <= barMs).at(-1) ?? MINUTE_MS;
}

/**
 * The profile a parent starting at `before` may know: from the candles (each `candleMs` long) that had closed by then
 * (ts + candleMs ≤ before), never a later one, in buckets of profileBucketFor(candleMs).
 */
export function learnVolumeProfileBefore(candles: readonly VolumeSample[], options: { before: number; candleMs: number }): VolumeProfile {
  const closed = candles.filter((c) => c.ts + options.candleMs <= options.before);
  return learnVolumeProfile(closed, profileBucketFor(options.candleMs));
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
