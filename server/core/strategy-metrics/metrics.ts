/**
 * How well each strategy (a model is a strategy here) does, from the books alone: the signals it sent and what became of
 * them (accepted, refused by code), the direction it called against where the price went, the return it promised
 * (`expectedReturn`) against the return its trade realized, whether its confidence is calibrated (realized win rate by
 * confidence bucket), and where the PnL came from. Pure: the caller reads the signals and trades and passes them in.
 *
 * Money (PnL, fees, average win/loss) stays Decimal. Rates, means, errors and correlations are statistics and are
 * inherently floating: they are plain numbers.
 */
import { quoteOfSymbol } from "../instrument";
import { entryOf } from "../maps";
import { type Decimal, ZERO } from "../money";

/** Who owns a trade no strategy opened (books.ts spells it the same way). */
export const UNATTRIBUTED = "manual";

export interface SignalFact {
  id: string;
  strategy: string;
  action: "BUY" | "SELL" | "CLOSE";
  /** 0..1 */
  confidence: number;
  /** The return the sender promised, as a fraction (0.02 = 2 %), or null. */
  expectedReturn: number | null;
  status: "ACCEPTED" | "DENIED" | "FAILED";
  denyCode: string | null;
}

export interface TradeFact {
  id: string;
  strategy: string | null;
  signalId: string | null;
  symbol: string;
  side: "LONG" | "SHORT";
  quantity: Decimal;
  entryPrice: Decimal;
  exitPrice: Decimal;
  grossPnl: Decimal;
  fees: Decimal;
  /** Net of fees. */
  pnl: Decimal;
}

export interface CodeCount {
  code: string;
  count: number;
}

export interface SignalCounts {
  received: number;
  accepted: number;
  /** Refused by a rule (risk, settings, validation). */
  denied: number;
  /** Failed inside the desk (INTERNAL_ERROR). */
  failed: number;
  /** Refusals and failures by code, most frequent first. */
  refusedByCode: CodeCount[];
}

export interface DirectionStats {
  /** Trades judged: the price moved either way. */
  judged: number;
  /** The price moved the way the position was opened (before fees). */
  hits: number;
  misses: number;
  /** The exit price equals the entry: no direction to judge. */
  flat: number;
  /** hits / judged; null with nothing judged. */
  hitRate: number | null;
}

export interface ExpectedReturnStats {
  /** Trades whose opening signal carried an expectedReturn. */
  pairs: number;
  meanExpected: number | null;
  /** Realized return: net PnL / entry notional (a fraction, like expectedReturn). */
  meanRealized: number | null;
  /** Mean of realized − expected: negative when the model promises more than it delivers. */
  meanError: number | null;
  meanAbsError: number | null;
  /** Pearson correlation of expected and realized; null under 3 pairs or with no spread. */
  correlation: number | null;
  /** Share of pairs where expected and realized have the same sign (a zero matches only zero). */
  signAgreement: number | null;
}

export interface CalibrationBucket {
  /** Confidence range [from, to) — the last bucket includes 1. */
  from: number;
  to: number;
  trades: number;
  wins: number;
  /** wins / trades; null when empty. Calibrated when it sits near meanConfidence. */
  winRate: number | null;
  meanConfidence: number | null;
}

export interface SymbolPnl {
  symbol: string;
  trades: number;
  netPnl: Decimal;
}

/** A strategy's trades in one quote currency (a trade's money is in its symbol's quote). */
export interface CurrencyPnl {
  /** "" for a symbol that names no quote. */
  currency: string;
  trades: number;
  netPnl: Decimal;
  fees: Decimal;
  /** Its net PnL over the sum of every strategy's |net PnL| in this currency; null when that sum is zero. */
  share: number | null;
}

export interface PnlAttribution {
  trades: number;
  wins: number;
  losses: number;
  breakeven: number;
  winRate: number | null;
  grossPnl: Decimal;
  fees: Decimal;
  netPnl: Decimal;
  /** Mean net PnL of winning / losing trades (the loss is negative); null with none. */
  avgWin: Decimal | null;
  avgLoss: Decimal | null;
  /** avgWin / |avgLoss|: what Kelly sizing calls the payoff ratio; null without both. */
  payoffRatio: number | null;
  /**
   * This strategy's net PnL over the sum of every strategy's |net PnL| in its currency (signed, so shares of a mixed
   * desk stay readable); null when its trades are in several currencies (byCurrency has a share each) or that sum is 0.
   */
  share: number | null;
  bySymbol: SymbolPnl[];
  /**
   * Net PnL and fees per quote currency, sorted by currency. With more than one, the sums and averages above add
   * amounts in different currencies and mean nothing on their own.
   */
  byCurrency: CurrencyPnl[];
}

export interface StrategyMetrics {
  strategy: string;
  signals: SignalCounts;
  direction: DirectionStats;
  expectedReturn: ExpectedReturnStats;
  calibration: CalibrationBucket[];
  pnl: PnlAttribution;
}

/** One signal and what became of it: the rows the model's training loop reads. */
export interface SignalOutcome {
  signalId: string;
  strategy: string;
  action: SignalFact["action"];
  confidence: number;
  expectedReturn: number | null;
  status: SignalFact["status"];
  denyCode: string | null;
  /** The closed trade it opened, if any. */
  tradeId: string | null;
  symbol: string | null;
  realizedReturn: number | null;
  directionHit: boolean | null;
  pnl: Decimal | null;
  win: boolean | null;
}

export interface MetricsOptions {
  /** Confidence buckets of equal width over [0, 1]. Default 5. */
  buckets?: number;
}

export const DEFAULT_BUCKETS = 5;

/** Net PnL over entry notional, as a fraction; null when the notional is zero. */
export function realizedReturn(t: TradeFact): number | null {
  const notional = t.quantity.times(t.entryPrice);
  return notional.isZero() ? null : t.pnl.dividedBy(notional).toNumber();
}

/** +1 when the price moved the position's way, −1 against it, 0 flat. */
export function directionOf(t: TradeFact): -1 | 0 | 1 {
  const move = t.exitPrice.comparedTo(t.entryPrice);
  return (t.side === "LONG" ? move : -move) as -1 | 0 | 1;
}

function mean(xs: number[]): number | null {
  return xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** Pearson correlation (statistic: floating). */
export function correlation(xs: number[], ys: number[]): number | null {
  if (xs.length < 3 || xs.length !== ys.length) return null;
  const mx = mean(xs)!;
  const my = mean(ys)!;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < xs.length; i++) {
    const dx = xs[i]! - mx;
    const dy = ys[i]! - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  return sxx === 0 || syy === 0 ? null : sxy / Math.sqrt(sxx * syy);
}

function bucketIndex(confidence: number, buckets: number): number {
  const c = Math.min(1, Math.max(0, confidence));
  return Math.min(buckets - 1, Math.floor(c * buckets));
}

const ownerOfTrade = (t: TradeFact) => t.strategy ?? UNATTRIBUTED;

/** The outcome of every signal: the trade it opened (matched by the trade's signalId), its return and direction. */
export function signalOutcomes(signals: readonly SignalFact[], trades: readonly TradeFact[]): SignalOutcome[] {
  const tradeBySignal = new Map<string, TradeFact>();
  for (const t of trades) if (t.signalId !== null && !tradeBySignal.has(t.signalId)) tradeBySignal.set(t.signalId, t);
  return signals.map((s) => {
    const t = tradeBySignal.get(s.id) ?? null;
    const direction = t ? directionOf(t) : 0;
    return {
      signalId: s.id,
      strategy: s.strategy,
      action: s.action,
      confidence: s.confidence,
      expectedReturn: s.expectedReturn,
      status: s.status,
      denyCode: s.denyCode,
      tradeId: t?.id ?? null,
      symbol: t?.symbol ?? null,
      realizedReturn: t ? realizedReturn(t) : null,
      directionHit: t && direction !== 0 ? direction > 0 : null,
      pnl: t?.pnl ?? null,
      win: t ? t.pnl.greaterThan(0) : null,
    };
  });
}

function signalCounts(signals: readonly SignalFact[]): SignalCounts {
  const codes = new Map<string, number>();
  let accepted = 0;
  let denied = 0;
  let failed = 0;
  for (const s of signals) {
    if (s.status === "ACCEPTED") accepted++;
    else {
      if (s.status === "DENIED") denied++;
      else failed++;
      const code = s.denyCode ?? (s.status === "FAILED" ? "INTERNAL_ERROR" : "UNKNOWN");
      codes.set(code, (codes.get(code) ?? 0) + 1);
    }
  }
  const refusedByCode = [...codes].map(([code, count]) => ({ code, count })).sort((a, b) => b.count - a.count || a.code.localeCompare(b.code));
  return { received: signals.length, accepted, denied, failed, refusedByCode };
}

function directionStats(trades: readonly TradeFact[]): DirectionStats {
  let hits = 0;
  let misses = 0;
  let flat = 0;
  for (const t of trades) {
    const d = directionOf(t);
    if (d > 0) hits++;
    else if (d < 0) misses++;
    else flat++;
  }
  const judged = hits + misses;
  return { judged, hits, misses, flat, hitRate: judged === 0 ? null : hits / judged };
}

function expectedReturnStats(pairs: { expected: number; realized: number }[]): ExpectedReturnStats {
  const expected = pairs.map((p) => p.expected);
  const realized = pairs.map((p) => p.realized);
  const errors = pairs.map((p) => p.realized - p.expected);
  const agree = pairs.filter((p) => Math.sign(p.expected) === Math.sign(p.realized)).length;
  return {
    pairs: pairs.length,
    meanExpected: mean(expected),
    meanRealized: mean(realized),
    meanError: mean(errors),
    meanAbsError: mean(errors.map(Math.abs)),
    correlation: correlation(expected, realized),
    signAgreement: pairs.length === 0 ? null : agree / pairs.length,
  };
}

function calibration(points: { confidence: number; win: boolean }[], buckets: number): CalibrationBucket[] {
  const acc = Array.from({ length: buckets }, () => ({ trades: 0, wins: 0, confidenceSum: 0 }));
  for (const p of points) {
    const b = acc[bucketIndex(p.confidence, buckets)]!;
    b.trades++;
    if (p.win) b.wins++;
    b.confidenceSum += p.confidence;
  }
  // Bucket edges as decimals of the bucket count, so 5 buckets read 0.2, 0.4 … and not 0.6000000000000001.
  const edge = (i: number) => Number((i / buckets).toFixed(6));
  return acc.map((b, i) => ({
    from: edge(i),
    to: edge(i + 1),
    trades: b.trades,
    wins: b.wins,
    winRate: b.trades === 0 ? null : b.wins / b.trades,
    meanConfidence: b.trades === 0 ? null : b.confidenceSum / b.trades,
  }));
}

/** A share of `absTotal`; null when it is zero. */
function shareOf(net: Decimal, absTotal: Decimal | undefined): number | null {
  return absTotal === undefined || absTotal.isZero() ? null : net.dividedBy(absTotal).toNumber();
}

/** `absByCurrency`: per quote currency, the sum of every strategy's |net PnL| in it (what a share is of). */
function pnlAttribution(trades: readonly TradeFact[], absByCurrency: ReadonlyMap<string, Decimal>): PnlAttribution {
  let gross = ZERO;
  let fees = ZERO;
  let net = ZERO;
  let winSum = ZERO;
  let lossSum = ZERO;
  let wins = 0;
  let losses = 0;
  const bySymbol = new Map<string, SymbolPnl>();
  const byCurrency = new Map<string, CurrencyPnl>();
  for (const t of trades) {
    gross = gross.plus(t.grossPnl);
    fees = fees.plus(t.fees);
    net = net.plus(t.pnl);
    if (t.pnl.greaterThan(0)) {
      wins++;
      winSum = winSum.plus(t.pnl);
    } else if (t.pnl.lessThan(0)) {
      losses++;
      lossSum = lossSum.plus(t.pnl);
    }
    const s = bySymbol.get(t.symbol) ?? { symbol: t.symbol, trades: 0, netPnl: ZERO };
    bySymbol.set(t.symbol, { symbol: t.symbol, trades: s.trades + 1, netPnl: s.netPnl.plus(t.pnl) });
    const currency = quoteOfSymbol(t.symbol);
    const c = byCurrency.get(currency) ?? { currency, trades: 0, netPnl: ZERO, fees: ZERO, share: null };
    byCurrency.set(currency, { currency, trades: c.trades + 1, netPnl: c.netPnl.plus(t.pnl), fees: c.fees.plus(t.fees), share: null });
  }
  for (const c of byCurrency.values()) c.share = shareOf(c.netPnl, absByCurrency.get(c.currency));
  const only = byCurrency.size === 1 ? [...byCurrency.values()][0]! : null;
  const avgWin = wins === 0 ? null : winSum.dividedBy(wins);
  const avgLoss = losses === 0 ? null : lossSum.dividedBy(losses);
  return {
    trades: trades.length,
    wins,
    losses,
    breakeven: trades.length - wins - losses,
    winRate: trades.length === 0 ? null : wins / trades.length,
    grossPnl: gross,
    fees,
    netPnl: net,
    avgWin,
    avgLoss,
    payoffRatio: avgWin && avgLoss ? avgWin.dividedBy(avgLoss.abs()).toNumber() : null,
    // No trade: none of the PnL (0) when the desk's trades are in one currency; with several, of which is unsaid.
    share: only ? only.share : byCurrency.size === 0 && absByCurrency.size === 1 ? shareOf(ZERO, [...absByCurrency.values()][0]) : null,
    bySymbol: [...bySymbol.values()].sort((a, b) => b.netPnl.comparedTo(a.netPnl) || a.symbol.localeCompare(b.symbol)),
    byCurrency: [...byCurrency.values()].sort((a, b) => a.currency.localeCompare(b.currency)),
  };
}

/**
 * The metrics of every strategy that sent a signal or owns a trade, by name. A trade counts for its own strategy
 * (the position's owner); the calibration and expectedReturn figures need the signal that opened it (trade.signalId).
 */
export function strategyMetrics(signals: readonly SignalFact[], trades: readonly TradeFact[], options: MetricsOptions = {}): StrategyMetrics[] {
  const buckets = options.buckets ?? DEFAULT_BUCKETS;
  if (!Number.isInteger(buckets) || buckets < 1 || buckets > 20) throw new RangeError(`buckets must be a whole number from 1 to 20, not ${buckets}`);
  const signalById = new Map(signals.map((s) => [s.id, s]));
  const names = new Set<string>([...signals.map((s) => s.strategy), ...trades.map(ownerOfTrade)]);
  // Per quote currency, each strategy's net PnL, then the sum of their absolute values: what a share is of (a BTC and a
  // USDT PnL do not add up).
  const netByCurrency = new Map<string, Map<string, Decimal>>();
  for (const t of trades) {
    const nets = entryOf(netByCurrency, quoteOfSymbol(t.symbol), () => new Map<string, Decimal>());
    nets.set(ownerOfTrade(t), (nets.get(ownerOfTrade(t)) ?? ZERO).plus(t.pnl));
  }
  const absByCurrency = new Map([...netByCurrency].map(([currency, nets]) => [currency, [...nets.values()].reduce((a, b) => a.plus(b.abs()), ZERO)]));

  return [...names].sort().map((strategy) => {
    const own = trades.filter((t) => ownerOfTrade(t) === strategy);
    const pairs: { expected: number; realized: number }[] = [];
    const points: { confidence: number; win: boolean }[] = [];
    for (const t of own) {
      const signal = t.signalId === null ? undefined : signalById.get(t.signalId);
      if (!signal) continue;
      points.push({ confidence: signal.confidence, win: t.pnl.greaterThan(0) });
      const realized = realizedReturn(t);
      if (signal.expectedReturn !== null && realized !== null) pairs.push({ expected: signal.expectedReturn, realized });
    }
    return {
      strategy,
      signals: signalCounts(signals.filter((s) => s.strategy === strategy)),
      direction: directionStats(own),
      expectedReturn: expectedReturnStats(pairs),
      calibration: calibration(points, buckets),
      pnl: pnlAttribution(own, absByCurrency),
    };
  });
}
