/**
 * Accounting: realized and unrealized PnL, equity and exposure at the marks, and the equity points recorded on a
 * schedule and on fills (the breaker's drawdown and the dashboard's curve read them).
 *
 * Equity is kept in the desk's quote currency (`cx.quote`). A position whose instrument is quoted in another currency
 * (a BTC-quoted pair on a USDT desk, a USD venue next to USDT ones) earns and loses in that currency: its PnL and
 * exposure are converted at a mark of the conversion pair (CURRENCY/QUOTE, or QUOTE/CURRENCY inverted), else at a
 * fixed rate the desk configures for a pegged currency (`conversionRates`). A currency with neither is never summed
 * 1:1: its amounts are left out of equity and listed in `unconverted`, so the figure says what it does not count.
 */
import { add, D, Decimal, ZERO, type DecimalInput } from "../core/money";
import { positionValue, unrealizedPnl, unrealizedPnlOfValue, type Position } from "../core/positions";
import type { EquityPoint, PositionRecord, StoredAccounting } from "./types";
import { markDecimal, type EngineContext } from "./context";

/** What a currency's amounts are converted into the desk's quote at: a mark, a fixed rate, or (the desk's own) 1. */
export interface ConversionRate {
  rate: Decimal;
  /** "BTC/USDT mark", "USDT/USDC mark (inverted)", "fixed rate", or "desk currency". */
  source: string;
}

/** Amounts in a currency that has no rate into the desk's quote: shown and flagged, not in equity. */
export interface UnconvertedAmounts {
  currency: string;
  realizedNet: Decimal;
  unrealized: Decimal;
  exposure: Decimal;
}

interface CurrencySums {
  realizedNet: Decimal;
  unrealized: Decimal;
  exposure: Decimal;
}

export class Accounting {
  constructor(private readonly cx: EngineContext) {}

  /** Σ realizedPnlNet of closed positions quoted in another currency than the desk's, per currency (the desk's own is cx.closedRealizedNet). */
  private readonly closedOther = new Map<string, Decimal>();

  private fixedRates: Map<string, Decimal> | null = null;

  /** The configured rates of pegged currencies (EngineOptions.conversionRates), read once. */
  private fixedRate(currency: string): Decimal | undefined {
    this.fixedRates ??= new Map(Object.entries(this.cx.options.conversionRates ?? {}).map(([c, r]: [string, DecimalInput]) => [c, D(r)]));
    return this.fixedRates.get(currency);
  }

  /** The currency a position's PnL and exposure are in: its instrument's quote (the desk's when the instrument is unknown). */
  quoteOf(symbol: string): string {
    return this.cx.books.instruments.get(symbol)?.quote ?? this.cx.quote;
  }

  /**
   * Units of the desk's quote per unit of `currency`: 1 for the desk's own; the mark of CURRENCY/QUOTE, or of
   * QUOTE/CURRENCY inverted (market prices first: a peg can break); a configured fixed rate; else null.
   */
  conversionRate(currency: string): ConversionRate | null {
    if (currency === this.cx.quote) return { rate: new Decimal(1), source: "desk currency" };
    const direct = this.cx.books.marks.get(`${currency}/${this.cx.quote}`);
    if (direct && direct.last > 0) return { rate: markDecimal(direct), source: `${currency}/${this.cx.quote} mark` };
    const inverse = this.cx.books.marks.get(`${this.cx.quote}/${currency}`);
    if (inverse && inverse.last > 0) return { rate: new Decimal(1).dividedBy(markDecimal(inverse)), source: `${this.cx.quote}/${currency} mark (inverted)` };
    const fixed = this.fixedRate(currency);
    return fixed ? { rate: fixed, source: "fixed rate" } : null;
  }

  private mixedQuotes: { instruments: number; mixed: boolean } | null = null;

  /** Whether the desk trades symbols quoted in another currency than its own (most desks: no, and nothing is converted). */
  hasMixedQuotes(): boolean {
    const instruments = this.cx.books.instruments;
    if (this.mixedQuotes?.instruments !== instruments.size) {
      let mixed = false;
      for (const instrument of instruments.values()) if (instrument.quote !== this.cx.quote) mixed = true;
      this.mixedQuotes = { instruments: instruments.size, mixed };
    }
    return this.mixedQuotes.mixed;
  }

  /** Units of the desk's quote per unit of a symbol's quote (conversionRate of its quote), or null without one. */
  readonly symbolRate = (symbol: string): Decimal | null => this.conversionRate(this.quoteOf(symbol))?.rate ?? null;

  /** A closed position's realized PnL (net of fees) joins the closed sum of its currency. */
  bookClosed(position: Position): void {
    const currency = this.quoteOf(position.symbol);
    if (currency === this.cx.quote) this.cx.closedRealizedNet = add(this.cx.closedRealizedNet, position.realizedPnlNet);
    else this.closedOther.set(currency, (this.closedOther.get(currency) ?? ZERO).plus(position.realizedPnlNet));
  }

  /** Reads the closed sums of other currencies back from the books (the desk's own is restored by the caller). */
  restoreClosed(stored: StoredAccounting): void {
    this.closedOther.clear();
    for (const [currency, amount] of Object.entries(stored.closedRealizedByCurrency ?? {})) this.closedOther.set(currency, D(amount));
  }

  /** Open positions quoted in other currencies, and the closed sums of those currencies, per currency (empty on most desks). */
  private otherCurrencies(withUnrealized: boolean): Map<string, CurrencySums> {
    const sums = new Map<string, CurrencySums>();
    const sumsOf = (currency: string) => {
      let s = sums.get(currency);
      if (!s) sums.set(currency, (s = { realizedNet: ZERO, unrealized: ZERO, exposure: ZERO }));
      return s;
    };
    for (const [currency, amount] of this.closedOther) sumsOf(currency).realizedNet = amount;
    for (const record of this.cx.books.positions.values()) {
      const position = record.position;
      const currency = this.quoteOf(position.symbol);
      if (currency === this.cx.quote) continue;
      const s = sumsOf(currency);
      s.realizedNet = add(s.realizedNet, position.realizedPnlNet);
      if (!withUnrealized || position.quantity.isZero()) continue;
      const price = this.priceOf(record);
      s.unrealized = add(s.unrealized, unrealizedPnl(position, price));
      s.exposure = add(s.exposure, position.quantity.times(price));
    }
    return sums;
  }

  /** At the position's own venue's mark (a desk with several venues quotes one symbol at several prices). */
  private priceOf(record: PositionRecord): Decimal {
    const mark = this.cx.books.markOfPosition(record);
    return mark ? markDecimal(mark) : (record.position.avgEntryPrice ?? ZERO);
  }

  /** Whether anything may be in another currency than the desk's (the common case skips the conversion; O(1) per tick). */
  private hasOtherCurrencies(): boolean {
    return this.closedOther.size > 0 || this.hasMixedQuotes();
  }

  // ---------------------------------------------------------------------------------------------
  // Accounting

  /** Initial equity + realized PnL net of fees: equity before marking open positions (equity itself when flat). */
  realizedEquity(): Decimal {
    // initial + closed, kept as one sum, then the open positions' realized net (their fees so far).
    let total = this.closedEquity();
    const mixed = this.hasOtherCurrencies();
    for (const { position } of this.cx.books.positions.values()) {
      if (mixed && this.quoteOf(position.symbol) !== this.cx.quote) continue;
      total = add(total, position.realizedPnlNet);
    }
    if (mixed) {
      for (const [currency, sums] of this.otherCurrencies(false)) {
        const rate = this.conversionRate(currency);
        if (rate) total = add(total, sums.realizedNet.times(rate.rate));
      }
    }
    return total;
  }

  private closedEquitySum: { initial: Decimal; closed: Decimal; sum: Decimal } | null = null;

  /** initialEquity + closedRealizedNet, added once per change of either (they change when a trade closes). */
  private closedEquity(): Decimal {
    const cached = this.closedEquitySum;
    if (cached && cached.initial === this.cx.initialEquity && cached.closed === this.cx.closedRealizedNet) return cached.sum;
    const sum = add(this.cx.initialEquity, this.cx.closedRealizedNet);
    this.closedEquitySum = { initial: this.cx.initialEquity, closed: this.cx.closedRealizedNet, sum };
    return sum;
  }

  /**
   * Equity = initial + realized (net of fees) + unrealized at the marks, in the desk's quote; other currencies converted
   * (see the header), those without a rate listed in `unconverted` and left out.
   */
  equity(): EquityPoint {
    let unrealized = ZERO;
    let exposure = ZERO;
    let realizedNet = this.cx.closedRealizedNet;
    const mixed = this.hasOtherCurrencies();
    for (const record of this.cx.books.positions.values()) {
      const position = record.position;
      if (mixed && this.quoteOf(position.symbol) !== this.cx.quote) continue;
      realizedNet = add(realizedNet, position.realizedPnlNet);
      if (position.quantity.isZero()) continue;
      // The open quantity's value at the mark is both its exposure and the base of its unrealized PnL: computed once.
      const value = positionValue(position, this.priceOf(record));
      unrealized = add(unrealized, unrealizedPnlOfValue(position, value));
      exposure = add(exposure, value);
    }
    // Made only when a currency has no rate (most desks: never; equity is read before every order).
    let unconverted: UnconvertedAmounts[] | null = null;
    if (mixed) {
      for (const [currency, sums] of this.otherCurrencies(true)) {
        const rate = this.conversionRate(currency);
        if (!rate) {
          (unconverted ??= []).push({ currency, ...sums });
          continue;
        }
        realizedNet = add(realizedNet, sums.realizedNet.times(rate.rate));
        unrealized = add(unrealized, sums.unrealized.times(rate.rate));
        exposure = add(exposure, sums.exposure.times(rate.rate));
      }
    }
    // Still the closed sum itself (flat, or open positions with no realized PnL yet: most reads of a backtest): initial +
    // closed is the sum realizedEquity keeps, added once per closed trade instead of once per read.
    const realizedEquity = realizedNet === this.cx.closedRealizedNet ? this.closedEquity() : add(this.cx.initialEquity, realizedNet);
    const point: EquityPoint = {
      ts: this.cx.clock.now(),
      equity: add(realizedEquity, unrealized),
      realizedNet,
      unrealized,
      exposure,
    };
    // Set only when there is one (a conditional spread in the literal built every point through V8's slow path).
    if (unconverted !== null) point.unconverted = unconverted;
    return point;
  }

  recordEquity(cause: "schedule" | "fill" | "start"): EquityPoint {
    const point = this.equity();
    this.cx.store.appendEquity({
      ts: point.ts,
      equity: point.equity,
      cash: this.cx.initialEquity.plus(point.realizedNet),
      unrealized: point.unrealized,
      realized: point.realizedNet,
      fees: [...this.cx.books.positions.values()].reduce((sum, r) => sum.plus(r.position.fees), ZERO),
      exposure: point.exposure,
      cause,
    });
    this.cx.bus.publish({ type: "equity", point });
    return point;
  }

  saveAccounting(): void {
    const stored: StoredAccounting = { initialEquity: this.cx.initialEquity, closedRealizedNet: this.cx.closedRealizedNet };
    // Only a desk with other currencies has the field (and pays for the object), as before.
    if (this.closedOther.size > 0) stored.closedRealizedByCurrency = Object.fromEntries(this.closedOther);
    this.cx.store.setState("accounting", stored);
  }
}
