/**
 * A recorded conversion mark for showing a desk's equity in USDT when the desk keeps its books in another currency (the
 * zero-config replay desk keeps them in BTC). The mark is a close from a shipped `data/market/<coin>-usdt_*.csv`: the
 * bar at or just before the time being shown, else the nearest recorded one — and the answer says which bar it is and
 * whether the recording covers that time, so the desk never passes off a 2023 price as a 2018 one.
 * Display only: the books stay in their own currency; nothing here is ever booked.
 */
import fs from "node:fs";
import path from "node:path";
import { loadCandlesCsv, type Candle } from "./csv";

export interface RecordedMark {
  /** "BTC/USDT". */
  pair: string;
  /** The bar's close, as recorded. */
  price: number;
  /** The bar's open time (UTC ms). */
  ts: number;
  /** The file it came from, relative to the repository root. */
  file: string;
  /** True when `at` lies inside the recording; false when the nearest bar (first or last) stands in for it. */
  covers: boolean;
}

/** The bar at or before `at`; the first bar when `at` precedes the recording (then `covers` is false). Candles sorted by ts. */
export function pickMark(candles: readonly Candle[], at: number): { candle: Candle; covers: boolean } | null {
  if (candles.length === 0) return null;
  const first = candles[0]!;
  const last = candles[candles.length - 1]!;
  if (at < first.ts) return { candle: first, covers: false };
  // One bar past the last bar's open still lies inside the recording; beyond that the last close stands in.
  const barMs = candles.length > 1 ? candles[1]!.ts - first.ts : 0;
  if (at >= last.ts) return { candle: last, covers: at < last.ts + barMs };
  let lo = 0;
  let hi = candles.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (candles[mid]!.ts <= at) lo = mid;
    else hi = mid - 1;
  }
  return { candle: candles[lo]!, covers: true };
}

const cache = new Map<string, { file: string; candles: Candle[] } | null>();

/** The shipped `<coin>-usdt_…csv` files directly in data/market/, in name order (the first one holding the coin wins). */
function recordedSeries(coin: string, root: string): { file: string; candles: Candle[] } | null {
  const key = `${root}\u0000${coin}`;
  if (cache.has(key)) return cache.get(key)!;
  const dir = path.resolve(root, "data/market");
  // No data/market folder (a test's root): no mark, and the desk shows equity in its own currency only.
  let found: { file: string; candles: Candle[] } | null = null;
  if (fs.existsSync(dir)) {
    const prefix = `${coin.toLowerCase()}-usdt_`;
    // Candle files only (a trades file has another header); the earliest recording is the nearest to an older world.
    const name = fs
      .readdirSync(dir)
      .filter((n) => n.startsWith(prefix) && /_\d+m_/.test(n) && n.endsWith(".csv"))
      .sort()[0];
    // A bad shipped file throws CSV_INVALID with its line, like every other loader.
    if (name) found = { file: `data/market/${name}`, candles: loadCandlesCsv(path.join(dir, name)) };
  }
  cache.set(key, found);
  return found;
}

/** The recorded `<currency>/USDT` mark for time `at`, or null when the desk is in USDT already or none is shipped. */
export function recordedUsdtMark(currency: string, at: number, root: string = process.cwd()): RecordedMark | null {
  if (currency.toUpperCase() === "USDT") return null;
  const series = recordedSeries(currency, root);
  if (!series) return null;
  const picked = pickMark(series.candles, at);
  if (!picked) return null;
  return { pair: `${currency.toUpperCase()}/USDT`, price: picked.candle.close, ts: picked.candle.ts, file: series.file, covers: picked.covers };
}
