/**
 * Exposure per symbol over time, for the Risk page's chart. There is no per-symbol history in the store (equity
 * snapshots hold the total only), so it is derived from the fills: starting from each symbol's net quantity now (the
 * engine's books) and walking the latest fills backwards, the net quantity before each fill is the quantity after it
 * minus the fill. Exposure at a point is |net quantity| × the price of the symbol's latest fill at that time: it
 * changes at fills and is not marked to market in between (the chart says so). Float output: chart values only.
 */
import { Decimal, ZERO } from "../core/money";
import { latestFillLegs } from "../db/queries/fills";
import { requireEngine } from "./engine";

export interface ExposureHistory {
  /** The charted symbols (largest peak exposure first); the rest are summed as "other". */
  symbols: string[];
  hasOther: boolean;
  points: ({ ts: number } & Record<string, number>)[];
  /** How many fills the history goes back over (capped). */
  fills: number;
}

export const MAX_FILLS = 5_000;

/** `top`: symbols charted by name (by peak exposure); `now`: the last point's time (the current quantities). */
export async function exposureHistory(input: { top?: number; maxFills?: number; points?: number } = {}): Promise<ExposureHistory> {
  const engine = requireEngine();
  const now = engine.now();
  const state = engine.state();
  const top = input.top ?? 8;
  const fills = await latestFillLegs(Math.min(input.maxFills ?? MAX_FILLS, MAX_FILLS));

  // Net signed quantity now, per symbol (all strategies), and the last known price.
  const qty = new Map<string, Decimal>();
  const price = new Map<string, number>();
  for (const p of state.positions) {
    if (p.position.quantity.isZero()) continue;
    const signed = p.position.side === "LONG" ? p.position.quantity : p.position.quantity.negated();
    qty.set(p.position.symbol, (qty.get(p.position.symbol) ?? ZERO).plus(signed));
    const mark = p.mark ?? p.position.avgEntryPrice?.toNumber() ?? null;
    if (mark !== null) price.set(p.position.symbol, mark);
  }
  // Before a fill the price is not known until the next older fill is reached: the fill's own price stands in for it.
  const snapshot = (ts: number) => {
    const point: { ts: number } & Record<string, number> = { ts };
    for (const [symbol, q] of qty)
      point[symbol] = Number(
        q
          .abs()
          .times(price.get(symbol) ?? 0)
          .toFixed(2),
      );
    return point;
  };
  const reversed: ReturnType<typeof snapshot>[] = [snapshot(Math.max(now, fills[0]?.ts ?? now))];
  for (const f of fills) {
    // After this fill the price was the fill's; before it, the quantity was smaller by the fill.
    price.set(f.symbol, Number(f.price));
    reversed.push({ ...snapshot(f.ts) });
    const signed = f.side === "BUY" ? new Decimal(f.qty) : new Decimal(f.qty).negated();
    qty.set(f.symbol, (qty.get(f.symbol) ?? ZERO).minus(signed));
    // The state just before the fill, a millisecond earlier, so the chart steps at the fill.
    reversed.push(snapshot(f.ts - 1));
  }
  const points = thin(reversed.reverse(), input.points ?? 600);
  const peak = new Map<string, number>();
  for (const p of points) for (const [k, v] of Object.entries(p)) if (k !== "ts") peak.set(k, Math.max(peak.get(k) ?? 0, v));
  const ranked = [...peak].filter(([, v]) => v > 0).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const symbols = ranked.slice(0, top).map(([s]) => s);
  const named = new Set(symbols);
  const hasOther = ranked.length > top;
  const shaped = points.map((p) => {
    const out: { ts: number } & Record<string, number> = { ts: p.ts };
    let other = 0;
    for (const [k, v] of Object.entries(p)) {
      if (k === "ts") continue;
      if (named.has(k)) out[k] = v;
      else other += v;
    }
    for (const s of symbols) out[s] ??= 0;
    if (hasOther) out.other = Number(other.toFixed(2));
    return out;
  });
  return { symbols, hasOther, points: shaped, fills: fills.length };
}

/** At most `max` points, evenly spaced by index, always keeping the first and the last. */
function thin<T>(points: T[], max: number): T[] {
  if (points.length <= max) return points;
  const step = (points.length - 1) / (max - 1);
  return Array.from({ length: max }, (_, i) => points[Math.round(i * step)]!);
}
