/**
 * Flash move: a symbol's price moved more than X % within a window (default 5 % in one minute).
 *
 * Measured against the window's extremes as each price arrives: a fall is (max − price) / max, a rise is
 * (price − min) / min, so the rule fires on the very tick that completes the move, not at the end of a bar.
 * It fires once per episode: after a firing the symbol's window restarts from the current price, so the same
 * move is not reported on every following tick; a new move of X % from there fires again.
 *
 * Prices here are market data points (numbers from the feed) and the move is a ratio: floats are fine, no
 * money is computed. Points must arrive in time order per symbol; an older point is ignored.
 *
 * On a desk with several venues each venue's prices are their own series (`venue`): two venues quoting apart,
 * interleaved, are not a move; one venue's own move is. The firing's scope is the symbol (what a lock holds): a flash
 * move at one venue locks entries on the symbol everywhere, as the same market is likely moving elsewhere too.
 */
import { resolveSymbolRule, type FlashMoveSettings } from "./settings";
import { type ProtectionFiring, formatPct, formatPrice, formatSpan } from "./types";
import { WindowExtremes } from "./window-extremes";

interface SymbolWindow {
  extremes: WindowExtremes;
  lastTs: number;
}

export class FlashMoveDetector {
  private readonly windows = new Map<string, SymbolWindow>();

  constructor(private readonly settings: FlashMoveSettings) {}

  /** Records a price; returns the firing when this price completes a move of the configured size. */
  observe(symbol: string, price: number, ts: number, venue?: string): ProtectionFiring | null {
    const rule = resolveSymbolRule(this.settings, symbol);
    if (!rule.enabled || !Number.isFinite(price) || price <= 0) return null;
    const windowMs = rule.windowSeconds * 1000;
    const key = venue === undefined ? symbol : `${symbol}@${venue}`;
    let state = this.windows.get(key);
    if (!state || state.extremes.windowMs !== windowMs) {
      state = { extremes: new WindowExtremes(windowMs), lastTs: Number.NEGATIVE_INFINITY };
      this.windows.set(key, state);
    }
    if (ts < state.lastTs) return null;
    state.lastTs = ts;
    state.extremes.add(ts, price);
    const low = state.extremes.min()!;
    const high = state.extremes.max()!;
    const fallPct = ((high.value - price) / high.value) * 100;
    const risePct = ((price - low.value) / low.value) * 100;
    const isFall = fallPct >= risePct;
    const movePct = isFall ? fallPct : risePct;
    if (movePct < rule.movePct) return null;
    const from = isFall ? high : low;
    state.extremes.clear();
    state.extremes.add(ts, price);
    return {
      rule: "FLASH_MOVE",
      scope: { kind: "symbol", symbol },
      ts,
      action: rule.action,
      lockMinutes: rule.action === "LOCK_SYMBOL" ? rule.lockMinutes : null,
      message: `${symbol}${venue === undefined ? "" : ` at ${venue}`} ${isFall ? "fell" : "rose"} ${formatPct(movePct)}% within ${formatSpan(ts - from.ts)} (from ${formatPrice(from.value)} to ${formatPrice(price)}), reaching the ${formatPct(rule.movePct)}% in ${formatSpan(windowMs)} limit.`,
      measured: isFall ? -movePct : movePct,
      bound: rule.movePct,
    };
  }

  /** Forgets a symbol (unsubscribed): its next price starts a new window. */
  forget(symbol: string): void {
    this.windows.delete(symbol);
    for (const key of [...this.windows.keys()]) if (key.startsWith(`${symbol}@`)) this.windows.delete(key);
  }
}
