/**
 * Stale data: no market data for a symbol for N seconds while a position in it is open — its marks, exits
 * and unrealized PnL are then guesses.
 *
 * The engine reports each market data point (`recordData`) and asks on a schedule (`check`) with the symbols
 * it holds. Silence is counted from the last point, or, for a symbol never seen, from the first check that
 * listed it as open. Fires once per silence; fresh data (or the position closing) re-arms the symbol.
 *
 * On a desk with several venues data comes per (venue, symbol): a held position is stale when the venue it lives on
 * is silent (its own data and data addressed to every venue), whatever another venue still quotes — its mark and
 * exits are that venue's. `freshAt` answers the same for an entry about to go to a venue. The firing's scope stays
 * the symbol (what a lock can hold); its message names the venue.
 */
import { resolveSymbolRule, type StaleDataSettings } from "./settings";
import { type ProtectionFiring, formatSpan } from "./types";

/** A symbol held on one venue (a desk with several); a plain symbol is watched across every source. */
export interface HeldSeries {
  symbol: string;
  venue: string;
}

/** Data addressed to every venue (or a desk with one): it counts for each venue's series. */
const EVERY_VENUE = "*";

export class StaleDataDetector {
  private readonly lastData = new Map<string, number>();
  /** (symbol → venue or EVERY_VENUE → last data): the per-venue series. */
  private readonly lastByVenue = new Map<string, Map<string, number>>();
  /** When a symbol (or series) with no data at all was first listed as open. */
  private readonly watchedSince = new Map<string, number>();
  /** Symbols (or series) whose current silence has been reported. */
  private readonly reported = new Set<string>();

  constructor(private readonly settings: StaleDataSettings) {}

  /** `venue`: the venue the data came from; absent, data for every venue. */
  recordData(symbol: string, ts: number, venue?: string): void {
    const last = this.lastData.get(symbol);
    if (last === undefined || ts > last) this.lastData.set(symbol, ts);
    let byVenue = this.lastByVenue.get(symbol);
    if (!byVenue) this.lastByVenue.set(symbol, (byVenue = new Map<string, number>()));
    const key = venue ?? EVERY_VENUE;
    const own = byVenue.get(key);
    if (own === undefined || ts > own) byVenue.set(key, ts);
    // Fresh data re-arms the symbol, and the venue's series (every venue's, for data addressed to every venue).
    this.reported.delete(symbol);
    if (venue !== undefined) this.reported.delete(seriesKey({ symbol, venue }));
    else {
      for (const k of [...this.reported]) if (k.startsWith(`${symbol}@`)) this.reported.delete(k);
    }
  }

  /**
   * The last data for a symbol at a venue: its own or data addressed to every venue, whichever is later. A venue that
   * never had its own is priced at the desk-level mark (books.markAt), so any source's data counts for it.
   */
  private lastAt(symbol: string, venue: string): number | undefined {
    const byVenue = this.lastByVenue.get(symbol);
    const own = byVenue?.get(venue);
    if (own === undefined) return this.lastData.get(symbol);
    const all = byVenue?.get(EVERY_VENUE);
    return all === undefined ? own : Math.max(own, all);
  }

  /** Whether a venue's data for a symbol is within the limit now (an entry going there is priced on live data). */
  freshAt(symbol: string, venue: string, now: number): boolean {
    const rule = resolveSymbolRule(this.settings, symbol);
    if (!rule.enabled) return true;
    const last = this.lastAt(symbol, venue);
    return last !== undefined && now - last < rule.maxSilenceSeconds * 1000;
  }

  /**
   * Firings for the open symbols (or symbols held on a venue) silent for at least their limit, each once per silence.
   * A held series is silent when its venue is: another venue quoting the symbol does not make its marks live.
   */
  check(now: number, openSymbols: Iterable<string | HeldSeries>): ProtectionFiring[] {
    const firings: ProtectionFiring[] = [];
    const open = new Map<string, string | HeldSeries>();
    for (const held of openSymbols) open.set(typeof held === "string" ? held : seriesKey(held), held);
    for (const key of [...this.reported]) if (!open.has(key)) this.reported.delete(key);
    for (const key of [...this.watchedSince.keys()]) if (!open.has(key)) this.watchedSince.delete(key);
    for (const [key, held] of open) {
      const symbol = typeof held === "string" ? held : held.symbol;
      const venue = typeof held === "string" ? null : held.venue;
      const rule = resolveSymbolRule(this.settings, symbol);
      if (!rule.enabled || this.reported.has(key)) continue;
      const last = venue === null ? this.lastData.get(symbol) : this.lastAt(symbol, venue);
      let since = last;
      if (since === undefined) {
        since = this.watchedSince.get(key) ?? now;
        this.watchedSince.set(key, since);
      }
      const silenceMs = now - since;
      const limitMs = rule.maxSilenceSeconds * 1000;
      if (silenceMs < limitMs) continue;
      this.reported.add(key);
      const heard = last !== undefined ? `since ${new Date(since).toISOString()}` : "since the position was first seen";
      const where = venue === null ? symbol : `${symbol} at ${venue}`;
      firings.push({
        rule: "STALE_DATA",
        scope: { kind: "symbol", symbol },
        ts: now,
        action: rule.action,
        lockMinutes: rule.action === "LOCK_SYMBOL" ? rule.lockMinutes : null,
        message: `No market data for ${where} for ${formatSpan(silenceMs)} (${heard}) while a position is open; the limit is ${formatSpan(limitMs)}.`,
        measured: silenceMs / 1000,
        bound: rule.maxSilenceSeconds,
      });
    }
    return firings;
  }

  /** Epoch ms of the last data point for a symbol (the status view), or null. */
  lastSeen(symbol: string): number | null {
    return this.lastData.get(symbol) ?? null;
  }
}

function seriesKey(held: HeldSeries): string {
  return `${held.symbol}@${held.venue}`;
}
