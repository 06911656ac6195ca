/**
 * Volatility: a symbol's realized volatility over a window above a threshold.
 *
 * Realized volatility is √Σr² over the log returns r = ln(pᵢ / pᵢ₋₁) of consecutive prices whose later point lies
 * in the window, in % (not annualized: the threshold is for the window's length, e.g. 5 % per hour). It is a
 * statistic, so floats are the right tool here; no money is computed. The running sum is updated per point and
 * recomputed from the kept returns now and then, so subtraction error cannot accumulate.
 *
 * Fires when the value reaches the threshold with at least `minSamples` returns in the window, once per episode:
 * it re-arms when the volatility falls back below the threshold.
 */
import { resolveSymbolRule, type VolatilitySettings } from "./settings";
import { type ProtectionFiring, formatPct, formatSpan } from "./types";

interface SymbolReturns {
  lastPrice: number;
  lastTs: number;
  /** (ts, r²) of the returns in the window, oldest first, from `head`. */
  times: number[];
  squares: number[];
  head: number;
  sumOfSquares: number;
  sinceRecompute: number;
  isFiring: boolean;
}

const RECOMPUTE_EVERY = 1024;

export class VolatilityDetector {
  private readonly symbols = new Map<string, SymbolReturns>();

  constructor(private readonly settings: VolatilitySettings) {}

  observe(symbol: string, price: number, ts: number): ProtectionFiring | null {
    const rule = resolveSymbolRule(this.settings, symbol);
    if (!rule.enabled || !Number.isFinite(price) || price <= 0) return null;
    const state = this.symbols.get(symbol);
    if (!state) {
      this.symbols.set(symbol, { lastPrice: price, lastTs: ts, times: [], squares: [], head: 0, sumOfSquares: 0, sinceRecompute: 0, isFiring: false });
      return null;
    }
    if (ts < state.lastTs) return null;
    const logReturn = Math.log(price / state.lastPrice);
    state.lastPrice = price;
    state.lastTs = ts;
    state.times.push(ts);
    state.squares.push(logReturn * logReturn);
    state.sumOfSquares += logReturn * logReturn;
    const windowMs = rule.windowMinutes * 60_000;
    while (state.head < state.times.length && state.times[state.head]! <= ts - windowMs) {
      state.sumOfSquares -= state.squares[state.head]!;
      state.head += 1;
    }
    state.sinceRecompute += 1;
    if (state.sinceRecompute >= RECOMPUTE_EVERY || state.head > 4096) {
      state.times = state.times.slice(state.head);
      state.squares = state.squares.slice(state.head);
      state.head = 0;
      state.sumOfSquares = state.squares.reduce((sum, square) => sum + square, 0);
      state.sinceRecompute = 0;
    }
    const samples = state.times.length - state.head;
    const volatilityPct = Math.sqrt(Math.max(0, state.sumOfSquares)) * 100;
    if (samples < rule.minSamples || volatilityPct < rule.maxVolatilityPct) {
      state.isFiring = false;
      return null;
    }
    if (state.isFiring) return null;
    state.isFiring = true;
    return {
      rule: "VOLATILITY",
      scope: { kind: "symbol", symbol },
      ts,
      action: rule.action,
      lockMinutes: rule.action === "LOCK_SYMBOL" ? rule.lockMinutes : null,
      message: `${symbol} realized volatility of ${formatPct(volatilityPct)}% over ${formatSpan(windowMs)} (${samples} returns) reached the ${formatPct(rule.maxVolatilityPct)}% limit.`,
      measured: volatilityPct,
      bound: rule.maxVolatilityPct,
    };
  }

  /** The current realized volatility of a symbol in %, or null before its first return. */
  current(symbol: string): number | null {
    const state = this.symbols.get(symbol);
    if (!state || state.times.length === state.head) return null;
    return Math.sqrt(Math.max(0, state.sumOfSquares)) * 100;
  }
}
