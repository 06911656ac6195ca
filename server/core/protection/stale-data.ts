/**
 * Stale data: no market data for a symbol for N seconds while a position in it is open — its marks, exits
 * and unrealized PnL are then guesses.
 *
 * The engine reports each market data point (`recordData`) and asks on a schedule (`check`) with the symbols
 * it holds. Silence is counted from the last point, or, for a symbol never seen, from the first check that
 * listed it as open. Fires once per silence; fresh data (or the position closing) re-arms the symbol.
 */
import { resolveSymbolRule, type StaleDataSettings } from "./settings";
import { type ProtectionFiring, formatSpan } from "./types";

export class StaleDataDetector {
  private readonly lastData = new Map<string, number>();
  /** When a symbol with no data at all was first listed as open. */
  private readonly watchedSince = new Map<string, number>();
  /** Symbols whose current silence has been reported. */
  private readonly reported = new Set<string>();

  constructor(private readonly settings: StaleDataSettings) {}

  recordData(symbol: string, ts: number): void {
    const last = this.lastData.get(symbol);
    if (last === undefined || ts > last) this.lastData.set(symbol, ts);
    this.reported.delete(symbol);
  }

  /** Firings for the open symbols silent for at least their limit, each once per silence. */
  check(now: number, openSymbols: Iterable<string>): ProtectionFiring[] {
    const firings: ProtectionFiring[] = [];
    const open = new Set(openSymbols);
    for (const symbol of [...this.reported]) if (!open.has(symbol)) this.reported.delete(symbol);
    for (const symbol of [...this.watchedSince.keys()]) if (!open.has(symbol)) this.watchedSince.delete(symbol);
    for (const symbol of open) {
      const rule = resolveSymbolRule(this.settings, symbol);
      if (!rule.enabled || this.reported.has(symbol)) continue;
      let since = this.lastData.get(symbol);
      if (since === undefined) {
        since = this.watchedSince.get(symbol) ?? now;
        this.watchedSince.set(symbol, since);
      }
      const silenceMs = now - since;
      const limitMs = rule.maxSilenceSeconds * 1000;
      if (silenceMs < limitMs) continue;
      this.reported.add(symbol);
      const heard = this.lastData.has(symbol) ? `since ${new Date(since).toISOString()}` : "since the position was first seen";
      firings.push({
        rule: "STALE_DATA",
        scope: { kind: "symbol", symbol },
        ts: now,
        action: rule.action,
        lockMinutes: rule.action === "LOCK_SYMBOL" ? rule.lockMinutes : null,
        message: `No market data for ${symbol} for ${formatSpan(silenceMs)} (${heard}) while a position is open; the limit is ${formatSpan(limitMs)}.`,
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
