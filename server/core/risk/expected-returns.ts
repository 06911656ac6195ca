/**
 * Expected returns for max Sharpe and Kelly (issue 14 §3): from the strategies' signals where a fresh one exists,
 * the window's historical mean otherwise. Pure: the service reads the signals and passes the clock's now.
 *
 * A signal's `expectedReturn` is a fraction over its trade, with no horizon of its own (the Strategies page compares it
 * with the trade's realized return). The optimizers read per-bar returns of the covariance's kind, so a signal's
 * return is spread over an assumed holding horizon `horizonMs` (default one day) by compounding:
 *   log returns:    r_bar = ln(1 + r) × barMs / horizonMs
 *   simple returns: r_bar = (1 + r)^(barMs / horizonMs) − 1
 * e.g. +2 % over a day on hourly bars is ln(1.02)/24 ≈ 0.000825 per bar. Floats on purpose: these are statistics.
 *
 * Which signal: per symbol the most recently received one with an expectedReturn, received within `freshnessMs` of
 * now, whatever the gate made of it (a denial is about the book, not the forecast). BUY forecasts the price to rise
 * by r; SELL forecasts it to fall by r, so the symbol's expected return is −r. CLOSE carries no direction and is
 * skipped (an older BUY/SELL still counts). A newer signal wins even over a different strategy's.
 */
import { type ReturnKind } from "./returns";

export interface SignalForecast {
  symbol: string;
  action: string;
  expectedReturn: number | null;
  /** Epoch ms. */
  receivedAt: number;
}

export interface SignalReturnOptions {
  now: number;
  /** Signals received longer ago than this are stale. */
  freshnessMs: number;
  barMs: number;
  /** The holding horizon a signal's expectedReturn is assumed to span. */
  horizonMs: number;
  kind: ReturnKind;
}

export const SIGNAL_RETURN_DEFAULTS = { freshnessMs: 24 * 60 * 60 * 1000, horizonMs: 24 * 60 * 60 * 1000 } as const;

/** A trade's expected return over `horizonMs` as a per-bar return of `kind` (see the header). */
export function perBarReturn(r: number, barMs: number, horizonMs: number, kind: ReturnKind): number {
  const bars = barMs / horizonMs;
  return kind === "log" ? Math.log1p(r) * bars : Math.expm1(Math.log1p(r) * bars);
}

/** The symbol's expected return over the signal's trade (BUY: r, SELL: −r), or null when the signal forecasts none. */
export function forecastReturn(s: Pick<SignalForecast, "action" | "expectedReturn">): number | null {
  if (s.expectedReturn === null || s.expectedReturn === undefined || !Number.isFinite(s.expectedReturn)) return null;
  if (s.action !== "BUY" && s.action !== "SELL") return null;
  const r = s.action === "BUY" ? s.expectedReturn : -s.expectedReturn;
  // ln(1 + r) needs r > −1; a BUY expecting −100 % and a SELL expecting ≥ 100 % both mean "to zero": skipped.
  return r > -1 ? r : null;
}

/** Per-bar expected returns by symbol from the freshest directional signal of each (symbols without one are absent). */
export function signalExpectedReturns(signals: readonly SignalForecast[], options: SignalReturnOptions): Record<string, number> {
  const latest = new Map<string, { r: number; receivedAt: number }>();
  for (const s of signals) {
    const r = forecastReturn(s);
    // A future receivedAt (clock skew) is not fresher than now; it counts as received now.
    if (r === null || options.now - s.receivedAt > options.freshnessMs) continue;
    const held = latest.get(s.symbol);
    if (!held || s.receivedAt > held.receivedAt) latest.set(s.symbol, { r, receivedAt: s.receivedAt });
  }
  const out: Record<string, number> = {};
  for (const [symbol, { r }] of latest) out[symbol] = perBarReturn(r, options.barMs, options.horizonMs, options.kind);
  return out;
}

export type ExpectedReturnOrigin = "signal" | "history";

/**
 * The expected-return vector in `symbols` order: a symbol's signal return where `fromSignals` has a finite one, its
 * historical mean otherwise; and where each came from.
 */
export function expectedReturnVector(
  symbols: readonly string[],
  historicalMean: readonly number[],
  fromSignals: Readonly<Record<string, number>> = {},
): { expected: number[]; source: Record<string, ExpectedReturnOrigin> } {
  const source: Record<string, ExpectedReturnOrigin> = {};
  const expected = symbols.map((s, i) => {
    const signal = Object.hasOwn(fromSignals, s) ? fromSignals[s] : undefined;
    if (signal !== undefined && Number.isFinite(signal)) {
      source[s] = "signal";
      return signal;
    }
    source[s] = "history";
    return historicalMean[i]!;
  });
  return { expected, source };
}
