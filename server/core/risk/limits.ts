/**
 * The pre-trade risk gate: TradingState, then limits, for every new order (DESIGN.md, step 2 and invariant 4).
 *
 * Decisions where the brief left a choice:
 * - The result lists every denial (`denials`) and exposes the first as `error`, so it is still a
 *   `Result<PreTradeApproval, RiskDenialCode>`. Denials are ordered by importance: INVALID_ORDER (which stops the
 *   check), the TradingState, INVALID_REDUCE_ONLY, REDUCE_ONLY_OVERCOMMITTED, then RATE_LIMIT, MIN_CONFIDENCE, MAX_SLIPPAGE, MIN_NOTIONAL,
 *   MAX_NOTIONAL_PER_ORDER, MAX_OPEN_POSITIONS, MAX_POSITION_SIZE, MAX_SYMBOL_EXPOSURE, MAX_PORTFOLIO_EXPOSURE,
 *   INSUFFICIENT_BALANCE. `collectAll: false` stops at the first one.
 * - Protecting capital beats making it: a reduce-only order that truly shrinks its position (opposite side, no larger
 *   than the position) passes every limit — rate, confidence, slippage, notional, exposure, balance. A reduce-only
 *   order that does not (no position, same side, or larger than the position) is denied with INVALID_REDUCE_ONLY,
 *   not clipped: a silent change of size is worse than a clear refusal.
 * - Working reduce-only orders count against the position they reduce (`workingReduceOnlyBySymbol`): a reduce-only
 *   order larger than the position less what working exits already sell (or buy back) is denied with
 *   REDUCE_ONLY_OVERCOMMITTED, so two exits can never sell coins the desk does not hold.
 * - Orders that are not reduce-only but happen to shrink exposure still meet the non-exposure limits; the exposure
 *   limits only deny orders that increase exposure, so a lowered limit never traps an existing position.
 * - Exposure = Σ |qty × mark| over open positions + the reserved notional of open orders that would add exposure
 *   (`reservedNotionalBySymbol`). The order's own effect is (|net after| − |net before|) × order price.
 * - MAX_OPEN_POSITIONS counts symbols with a position or reserved order notional ("open or being opened"); it denies
 *   only an order that would open a new symbol.
 * - MAX_POSITION_SIZE is on the resulting net position of this symbol (qty, and notional at the order price).
 * - An order without `confidence` (a manual order) is not held to minConfidence; one without `expectedSlippageBps`
 *   is not held to maxSlippageBps.
 * - INSUFFICIENT_BALANCE: the part of the order that opens new exposure (beyond what it closes) must be covered by
 *   the available quote balance: openedQty × price × (1 + feeRate) / leverage.
 * - Percent limits (`…Pct`) are in percent of equity (150 = 150%). Equity ≤ 0 makes them zero: no new exposure.
 */
import { MINUTE_MS } from "../clock";
import { add, approxNumber, cmp, Decimal, isPositive, maxDec, onePlus, sub, timesCompact, ZERO } from "../money";
import { type OrderSide } from "../orders/types";
import { type Refusal } from "../errors";
import { countAfter } from "../recent-times";
import { gateByTradingState, shrinksExposure, describeNetPosition, whyNotShrinking, type TradingState } from "./trading-state";
import { type RiskPosition } from "./types";

export type RiskDenialCode =
  | "TRADING_HALTED"
  | "REDUCING_ONLY"
  | "INVALID_REDUCE_ONLY"
  | "REDUCE_ONLY_OVERCOMMITTED"
  | "MAX_OPEN_POSITIONS"
  | "MAX_POSITION_SIZE"
  | "MAX_SYMBOL_EXPOSURE"
  | "MAX_PORTFOLIO_EXPOSURE"
  | "MIN_CONFIDENCE"
  | "MIN_NOTIONAL"
  | "MAX_NOTIONAL_PER_ORDER"
  | "MAX_SLIPPAGE"
  | "INSUFFICIENT_BALANCE"
  | "RATE_LIMIT"
  | "INVALID_ORDER";

export type RiskDenial = Refusal<RiskDenialCode>;

/** Limits for one symbol. Each one set here replaces the portfolio-wide value of the same name for that symbol. */
export interface SymbolRiskLimits {
  /** Largest net position, in base quantity. */
  maxPositionQty?: Decimal;
  /** Largest net position, as notional at the order price. */
  maxPositionNotional?: Decimal;
  /** Largest exposure in the symbol (position at mark + reserved order notional + this order). */
  maxSymbolExposure?: Decimal;
  /** The same, in percent of equity. */
  maxSymbolExposurePct?: number;
  /** Lowest signal confidence (0..1). */
  minConfidence?: number;
  maxNotionalPerOrder?: Decimal;
}

/** Portfolio-wide limits; the symbol-level ones here are the defaults for every symbol. Unset = no limit. */
export interface RiskLimits extends SymbolRiskLimits {
  maxOpenPositions?: number;
  maxPortfolioExposure?: Decimal;
  /** In percent of equity (200 = exposure up to twice the equity). */
  maxPortfolioExposurePct?: number;
  minNotional?: Decimal;
  maxSlippageBps?: number;
  maxOrdersPerMinute?: number;
  perSymbol?: Readonly<Record<string, SymbolRiskLimits>>;
}

export interface PreTradeOrder {
  symbol: string;
  side: OrderSide;
  quantity: Decimal;
  /** The limit price, or the reference price for a market order. */
  price: Decimal;
  reduceOnly: boolean;
  /** Signal confidence, 0..1. */
  confidence?: number;
  /** Expected slippage in basis points (negative = price improvement). */
  expectedSlippageBps?: number;
}

export interface RiskPortfolio {
  equity: Decimal;
  /** Quote currency free to spend (already net of what open orders reserve). */
  availableQuote: Decimal;
  positions: readonly RiskPosition[];
  /** Notional reserved by open orders that would add exposure, per symbol. */
  reservedNotionalBySymbol?: ReadonlyMap<string, Decimal>;
  /** Unfilled quantity of working reduce-only orders, per symbol and side: what they may still take off the position. */
  workingReduceOnlyBySymbol?: ReadonlyMap<string, Partial<Record<OrderSide, Decimal>>>;
}

export interface PreTradeInput {
  order: PreTradeOrder;
  tradingState: TradingState;
  portfolio: RiskPortfolio;
  /** Send times (epoch ms) of recent orders, for RATE_LIMIT; older than a minute are ignored. */
  recentOrderTimestamps: readonly number[];
  now: number;
  limits: RiskLimits;
  /** Notional per unit of quote balance (1 = spot). Default 1. */
  leverage?: number;
  /** Fee rate added to the balance requirement (0.001 = 10 bps). Default 0. */
  feeRate?: Decimal;
  /** List every denial (default) or stop at the first. */
  collectAll?: boolean;
  /** Passed to the TradingState gate. Default true. */
  haltedAllowsReduceOnly?: boolean;
}

export interface PreTradeApproval {
  /** quantity × price. */
  notional: Decimal;
  /** The order shrinks its symbol's net position without flipping it. */
  shrinksExposure: boolean;
  /** Net position in the symbol after the order fills (positive long, negative short). */
  netQtyAfter: Decimal;
  /** How much the order adds to gross exposure (zero when it does not add). */
  exposureIncrease: Decimal;
  /** Symbol and portfolio exposure after the order, including reserved order notional. */
  symbolExposureAfter: Decimal;
  portfolioExposureAfter: Decimal;
  /** Quote balance the order needs (zero for orders that only shrink exposure). */
  requiredQuote: Decimal;
}

export type PreTradeResult = { ok: true; value: PreTradeApproval } | { ok: false; error: RiskDenial; denials: RiskDenial[] };

const HUNDRED = new Decimal(100);

function denial(code: RiskDenialCode, message: string, details?: Record<string, unknown>): RiskDenial {
  return details ? { code, message, details } : { code, message };
}

function refuse(denials: RiskDenial[]): PreTradeResult {
  return { ok: false, error: denials[0]!, denials };
}

function fmtPct(n: number): string {
  return `${Number(n.toFixed(4))}%`;
}

/** Percent of equity as an amount; zero when equity is not positive. */
function pctOfEquity(pct: number, equity: Decimal): Decimal {
  if (!equity.greaterThan(0)) return ZERO;
  return equity.times(pct).dividedBy(HUNDRED);
}

/** A value for a message, whatever its type. */
export function show(value: unknown): string {
  if (Decimal.isDecimal(value)) return value.toString();
  if (typeof value === "object" && value !== null) return JSON.stringify(value);
  return String(value);
}

export function isFiniteDecimal(d: unknown): d is Decimal {
  // Our own class first: a plain instanceof, where decimal.js's isDecimal goes through its hasInstance and a tag test.
  if (d instanceof Decimal) return d.isFinite();
  return Decimal.isDecimal(d) && d.isFinite();
}

function invalidOrder(order: PreTradeOrder): RiskDenial | null {
  if (!order.symbol) return denial("INVALID_ORDER", "The order has no symbol.");
  if (order.side !== "BUY" && order.side !== "SELL") return denial("INVALID_ORDER", `Order side must be BUY or SELL, not ${String(order.side)}.`);
  if (!isFiniteDecimal(order.quantity) || !isPositive(order.quantity)) {
    return denial("INVALID_ORDER", `Order quantity must be a positive number, not ${show(order.quantity)}.`, { quantity: show(order.quantity) });
  }
  if (!isFiniteDecimal(order.price) || !isPositive(order.price)) {
    return denial("INVALID_ORDER", `Order price must be a positive number, not ${show(order.price)}.`, { price: show(order.price) });
  }
  const c = order.confidence;
  if (c !== undefined && !(Number.isFinite(c) && c >= 0 && c <= 1)) {
    return denial("INVALID_ORDER", `Signal confidence must be between 0 and 1, not ${String(c)}.`, { confidence: c });
  }
  const s = order.expectedSlippageBps;
  if (s !== undefined && !Number.isFinite(s)) {
    return denial("INVALID_ORDER", `Expected slippage must be a finite number of basis points, not ${String(s)}.`);
  }
  return null;
}

/**
 * Checks one new order against the TradingState and the limits. Pure; allocates little on the passing path
 * (one pass over positions and reserved notional, no maps or arrays).
 */
export function checkPreTrade(input: PreTradeInput): PreTradeResult {
  const { order, portfolio, limits } = input;
  const invalid = invalidOrder(order);
  if (invalid) return refuse([invalid]);
  const collectAll = input.collectAll ?? true;
  const symbol = order.symbol;
  const symbolLimits = limits.perSymbol?.[symbol];
  const price = order.price;

  // One pass over positions: net position in this symbol and the open-position count. Exposures (a
  // multiplication per position) are summed only when a limit or the caller reads them (`exposures`).
  let netQty = ZERO;
  let openPositionCount = 0;
  let symbolHasPosition = false;
  for (const p of portfolio.positions) {
    if (p.qty.isZero()) continue;
    openPositionCount++;
    if (p.symbol === symbol) {
      symbolHasPosition = true;
      // abs() allocates; quantities are almost always already positive.
      const size = p.qty.isNegative() ? p.qty.abs() : p.qty;
      netQty = p.side === "LONG" ? add(netQty, size) : sub(netQty, size);
    }
  }
  let reservedTotal = ZERO;
  let symbolReserved = ZERO;
  const reserved = portfolio.reservedNotionalBySymbol;
  if (reserved) {
    for (const [reservedSymbol, amount] of reserved) {
      if (!isPositive(amount)) continue;
      reservedTotal = add(reservedTotal, amount);
      if (reservedSymbol === symbol) symbolReserved = amount;
    }
  }
  let denials: RiskDenial[] | null = null;

  const halted = input.haltedAllowsReduceOnly;
  const gate = gateByTradingState(input.tradingState, order, { netQty }, halted === undefined ? undefined : { haltedAllowsReduceOnly: halted });
  if (!gate.ok) {
    denials = [gate.error];
    if (!collectAll) return refuse(denials);
  }
  const shrinking = gate.ok ? gate.value.shrinksExposure : shrinksExposure(order.side, order.quantity, netQty);

  if (order.reduceOnly && !shrinking) {
    (denials ??= []).push(
      denial("INVALID_REDUCE_ONLY", `Reduce-only ${order.side} ${order.quantity.toString()} ${symbol} cannot be placed: ${whyNotShrinking(order, netQty)}.`, {
        netQty: netQty.toString(),
        quantity: order.quantity.toString(),
      }),
    );
    if (!collectAll) return refuse(denials);
  }

  const netQtyAfter = order.side === "BUY" ? add(netQty, order.quantity) : sub(netQty, order.quantity);
  const absNetBefore = netQty.isNegative() ? netQty.abs() : netQty;
  const absNetAfter = netQtyAfter.isNegative() ? netQtyAfter.abs() : netQtyAfter;
  // The order's effect on exposure: (|net after| − |net before|) × price. Its sign needs no multiplication.
  const increases = cmp(absNetAfter, absNetBefore) > 0;
  const figures = new Figures(order, portfolio.positions, symbolReserved, reservedTotal, shrinking, netQtyAfter, absNetBefore, absNetAfter, increases);

  if (order.reduceOnly && shrinking) {
    // Pending exits count against what they close: the position left for this order is net − working exits.
    const working = portfolio.workingReduceOnlyBySymbol?.get(symbol)?.[order.side];
    if (working !== undefined && isPositive(working)) {
      const room = maxDec(ZERO, sub(absNetBefore, working));
      if (cmp(order.quantity, room) > 0) {
        const verb = order.side === "SELL" ? "sell" : "buy back";
        (denials ??= []).push(
          denial(
            "REDUCE_ONLY_OVERCOMMITTED",
            `Reduce-only ${order.side} ${order.quantity.toString()} ${symbol} cannot be placed: the ${describeNetPosition(netQty)} position already has working exit orders that ${verb} ${working.toString()} of it, so at most ${room.toString()} more can be; wait for them to end or cancel them first.`,
            { netQty: netQty.toString(), working: working.toString(), room: room.toString(), quantity: order.quantity.toString() },
          ),
        );
        if (!collectAll) return refuse(denials);
      }
    }
  }

  // A reduce-only order that truly shrinks its position passes every limit.
  if (order.reduceOnly && shrinking) {
    if (denials) return refuse(denials);
    return { ok: true, value: figures };
  }

  // RATE_LIMIT
  const maxPerMinute = limits.maxOrdersPerMinute;
  if (maxPerMinute !== undefined) {
    const windowStart = input.now - MINUTE_MS;
    const recent = countAfter(input.recentOrderTimestamps, windowStart);
    if (recent >= maxPerMinute) {
      (denials ??= []).push(
        denial("RATE_LIMIT", `Rate limit reached: ${recent} orders in the last minute, and the limit is ${maxPerMinute} per minute.`, {
          recent,
          limit: maxPerMinute,
        }),
      );
      if (!collectAll) return refuse(denials);
    }
  }

  // MIN_CONFIDENCE
  const minConfidence = symbolLimits?.minConfidence ?? limits.minConfidence;
  if (minConfidence !== undefined && order.confidence !== undefined && order.confidence < minConfidence) {
    (denials ??= []).push(
      denial("MIN_CONFIDENCE", `Signal confidence ${order.confidence} is below the minimum of ${minConfidence} for ${symbol}.`, {
        confidence: order.confidence,
        limit: minConfidence,
      }),
    );
    if (!collectAll) return refuse(denials);
  }

  // MAX_SLIPPAGE
  const maxSlippageBps = limits.maxSlippageBps;
  if (maxSlippageBps !== undefined && order.expectedSlippageBps !== undefined && order.expectedSlippageBps > maxSlippageBps) {
    (denials ??= []).push(
      denial("MAX_SLIPPAGE", `Expected slippage of ${order.expectedSlippageBps} bps is above the maximum of ${maxSlippageBps} bps.`, {
        expectedSlippageBps: order.expectedSlippageBps,
        limit: maxSlippageBps,
      }),
    );
    if (!collectAll) return refuse(denials);
  }

  // MIN_NOTIONAL
  const minNotional = limits.minNotional;
  if (minNotional !== undefined && cmp(figures.notional, minNotional) < 0) {
    (denials ??= []).push(
      denial("MIN_NOTIONAL", `Order notional ${figures.notional.toString()} is below the minimum of ${minNotional.toString()}.`, {
        notional: figures.notional.toString(),
        limit: minNotional.toString(),
      }),
    );
    if (!collectAll) return refuse(denials);
  }

  // MAX_NOTIONAL_PER_ORDER
  const maxNotionalPerOrder = symbolLimits?.maxNotionalPerOrder ?? limits.maxNotionalPerOrder;
  if (maxNotionalPerOrder !== undefined && cmp(figures.notional, maxNotionalPerOrder) > 0) {
    (denials ??= []).push(
      denial(
        "MAX_NOTIONAL_PER_ORDER",
        `Order notional ${figures.notional.toString()} is above the per-order maximum of ${maxNotionalPerOrder.toString()} for ${symbol}.`,
        { notional: figures.notional.toString(), limit: maxNotionalPerOrder.toString() },
      ),
    );
    if (!collectAll) return refuse(denials);
  }

  if (increases) {
    // MAX_OPEN_POSITIONS: only an order that opens a new symbol.
    const maxOpen = limits.maxOpenPositions;
    if (maxOpen !== undefined && !symbolHasPosition && !isPositive(symbolReserved)) {
      let open = openPositionCount;
      if (reserved) {
        for (const [reservedSymbol, amount] of reserved) {
          if (isPositive(amount) && !hasOpenPosition(portfolio.positions, reservedSymbol)) open++;
        }
      }
      if (open >= maxOpen) {
        (denials ??= []).push(
          denial(
            "MAX_OPEN_POSITIONS",
            `Opening a position in ${symbol} would exceed the maximum of ${maxOpen} open positions (${open} already open or being opened).`,
            { open, limit: maxOpen },
          ),
        );
        if (!collectAll) return refuse(denials);
      }
    }

    // MAX_POSITION_SIZE
    const maxQty = symbolLimits?.maxPositionQty ?? limits.maxPositionQty;
    const maxPositionNotional = symbolLimits?.maxPositionNotional ?? limits.maxPositionNotional;
    if (maxQty !== undefined && cmp(absNetAfter, maxQty) > 0) {
      (denials ??= []).push(
        denial(
          "MAX_POSITION_SIZE",
          `The ${symbol} position would be ${describeNetPosition(netQtyAfter)} (now ${describeNetPosition(netQty)}), above the maximum size of ${maxQty.toString()}.`,
          { qtyAfter: absNetAfter.toString(), limit: maxQty.toString() },
        ),
      );
      if (!collectAll) return refuse(denials);
    } else if (maxPositionNotional !== undefined) {
      const positionNotionalAfter = absNetAfter.times(price);
      if (cmp(positionNotionalAfter, maxPositionNotional) > 0) {
        (denials ??= []).push(
          denial(
            "MAX_POSITION_SIZE",
            `The ${symbol} position would be worth ${positionNotionalAfter.toString()} (${describeNetPosition(netQtyAfter)} at ${price.toString()}), above the maximum of ${maxPositionNotional.toString()}.`,
            { notionalAfter: positionNotionalAfter.toString(), limit: maxPositionNotional.toString() },
          ),
        );
        if (!collectAll) return refuse(denials);
      }
    }

    // MAX_SYMBOL_EXPOSURE
    const maxSymbolExposure = symbolLimits?.maxSymbolExposure ?? limits.maxSymbolExposure;
    const maxSymbolExposurePct = symbolLimits?.maxSymbolExposurePct ?? limits.maxSymbolExposurePct;
    if (maxSymbolExposure !== undefined || maxSymbolExposurePct !== undefined) {
      const symbolDenial = exposureDenial(
        "MAX_SYMBOL_EXPOSURE",
        `Exposure in ${symbol}`,
        figures.symbolExposureAfter,
        maxSymbolExposure,
        maxSymbolExposurePct,
        portfolio.equity,
      );
      if (symbolDenial) {
        (denials ??= []).push(symbolDenial);
        if (!collectAll) return refuse(denials);
      }
    }

    // MAX_PORTFOLIO_EXPOSURE
    if (limits.maxPortfolioExposure !== undefined || limits.maxPortfolioExposurePct !== undefined) {
      const portfolioDenial = exposureDenial(
        "MAX_PORTFOLIO_EXPOSURE",
        "Portfolio exposure",
        figures.portfolioExposureAfter,
        limits.maxPortfolioExposure,
        limits.maxPortfolioExposurePct,
        portfolio.equity,
      );
      if (portfolioDenial) {
        (denials ??= []).push(portfolioDenial);
        if (!collectAll) return refuse(denials);
      }
    }
  }

  // INSUFFICIENT_BALANCE: the part of the order that opens new exposure must be paid for.
  if (!shrinking) {
    const opposes = order.side === "SELL" ? isPositive(netQty) : netQty.isNegative() && !netQty.isZero();
    const openedQty = opposes ? order.quantity.minus(absNetBefore) : order.quantity;
    if (isPositive(openedQty)) {
      const feeRate = input.feeRate !== undefined && !input.feeRate.isZero() ? input.feeRate : null;
      const leverage = input.leverage ?? 1;
      figures.opened(openedQty, feeRate, leverage);
      const available = portfolio.availableQuote;
      // The exact figure (two 40-digit multiplications) only when the estimate cannot settle the comparison. A quantity
      // of more than 21 digits was sized to the last digit of the balance (all-in, no step): no estimate settles that.
      const estimated = openedQty.d.length <= 3 && certainlyAtMost(openedQty, price, feeRate, leverage, available);
      if (!estimated && cmp(figures.requiredQuote, available) > 0) {
        const requiredQuote = figures.requiredQuote;
        (denials ??= []).push(
          denial("INSUFFICIENT_BALANCE", `The order needs ${requiredQuote.toString()} of quote balance but only ${available.toString()} is available.`, {
            required: requiredQuote.toString(),
            available: available.toString(),
          }),
        );
        if (!collectAll) return refuse(denials);
      }
    }
  }

  if (denials) return refuse(denials);
  return { ok: true, value: figures };
}

/**
 * The approval's figures for one checked order, each computed when first read: the engine's hot path reads
 * none of them, and the exposures cost a multiplication per open position. (One object per check.)
 */
class Figures implements PreTradeApproval {
  private notionalValue: Decimal | null = null;
  private requiredValue: Decimal | null = null;
  /** The part of the order that opens exposure (null: none, nothing to pay), with the fee and leverage it is paid at. */
  private openedQty: Decimal | null = null;
  private feeRate: Decimal | null = null;
  private leverage = 1;
  private changeValue: Decimal | null = null;
  private sums: { symbol: Decimal; gross: Decimal } | null = null;

  constructor(
    private readonly order: PreTradeOrder,
    private readonly positions: readonly RiskPosition[],
    private readonly symbolReserved: Decimal,
    private readonly reservedTotal: Decimal,
    readonly shrinksExposure: boolean,
    readonly netQtyAfter: Decimal,
    private readonly absNetBefore: Decimal,
    private readonly absNetAfter: Decimal,
    private readonly increases: boolean,
  ) {}

  /** quantity × price (timesCompact: the library's product, without its working copies). */
  get notional(): Decimal {
    return (this.notionalValue ??= timesCompact(this.order.quantity, this.order.price));
  }

  opened(quantity: Decimal, feeRate: Decimal | null, leverage: number): void {
    this.openedQty = quantity;
    this.feeRate = feeRate;
    this.leverage = leverage;
  }

  /** openedQty × price × (1 + feeRate) / leverage; zero when the order opens nothing. */
  get requiredQuote(): Decimal {
    if (this.requiredValue === null) {
      const opened = this.openedQty;
      let required = opened === null ? ZERO : opened === this.order.quantity ? this.notional : timesCompact(opened, this.order.price);
      if (opened !== null && this.feeRate !== null) required = timesCompact(required, onePlus(this.feeRate));
      if (opened !== null && this.leverage !== 1) required = required.dividedBy(this.leverage);
      this.requiredValue = required;
    }
    return this.requiredValue;
  }

  get exposureIncrease(): Decimal {
    return this.increases ? this.exposureChange() : ZERO;
  }

  get symbolExposureAfter(): Decimal {
    return maxDec(ZERO, add(this.exposures().symbol, this.exposureChange()));
  }

  get portfolioExposureAfter(): Decimal {
    return maxDec(ZERO, add(this.exposures().gross, this.exposureChange()));
  }

  private exposureChange(): Decimal {
    return (this.changeValue ??= timesCompact(sub(this.absNetAfter, this.absNetBefore), this.order.price));
  }

  /** Σ |qty × mark| in the symbol and over every position, each plus the reserved order notional. */
  private exposures(): { symbol: Decimal; gross: Decimal } {
    if (this.sums) return this.sums;
    let gross = ZERO;
    let inSymbol = ZERO;
    for (const p of this.positions) {
      if (p.qty.isZero()) continue;
      const size = p.qty.isNegative() ? p.qty.abs() : p.qty;
      const exposure = size.times(p.markPrice.isNegative() ? p.markPrice.abs() : p.markPrice);
      gross = add(gross, exposure);
      if (p.symbol === this.order.symbol) inSymbol = add(inSymbol, exposure);
    }
    this.sums = { symbol: add(inSymbol, this.symbolReserved), gross: add(gross, this.reservedTotal) };
    return this.sums;
  }
}

/**
 * True when quantity × price × (1 + feeRate) / leverage is certainly at most `limit`, judged on floats: each operand
 * read within 1e-14 (relative, approxNumber), the product within ~1e-13 of the exact figure, so an estimate below
 * the limit by a margin of 1e-9 decides; anything closer (or not finite) is left to the exact comparison. A float
 * here only orders two exact amounts with room to spare; no amount is computed from it.
 */
function certainlyAtMost(quantity: Decimal, price: Decimal, feeRate: Decimal | null, leverage: number, limit: Decimal): boolean {
  let estimate = approxNumber(quantity) * approxNumber(price);
  if (feeRate !== null) estimate *= approxNumber(onePlus(feeRate));
  if (leverage !== 1) estimate /= leverage;
  return estimate < approxNumber(limit) * (1 - 1e-9);
}

function hasOpenPosition(positions: readonly RiskPosition[], symbol: string): boolean {
  for (const p of positions) if (p.symbol === symbol && !p.qty.isZero()) return true;
  return false;
}

function exposureDenial(
  code: "MAX_SYMBOL_EXPOSURE" | "MAX_PORTFOLIO_EXPOSURE",
  label: string,
  exposureAfter: Decimal,
  maxAbsolute: Decimal | undefined,
  maxPct: number | undefined,
  equity: Decimal,
): RiskDenial | null {
  if (maxAbsolute !== undefined && exposureAfter.greaterThan(maxAbsolute)) {
    return denial(code, `${label} would be ${exposureAfter.toString()}, above the maximum of ${maxAbsolute.toString()}.`, {
      exposureAfter: exposureAfter.toString(),
      limit: maxAbsolute.toString(),
    });
  }
  if (maxPct !== undefined) {
    const cap = pctOfEquity(maxPct, equity);
    if (exposureAfter.greaterThan(cap)) {
      return denial(
        code,
        `${label} would be ${exposureAfter.toString()}, above the maximum of ${fmtPct(maxPct)} of equity ${equity.toString()} (${cap.toString()}).`,
        { exposureAfter: exposureAfter.toString(), limit: cap.toString(), limitPct: maxPct, equity: equity.toString() },
      );
    }
  }
  return null;
}

// ---------------------------------------------------------------------------------------------------------------
// Validation of the limits themselves (settings page, API): zod-free so core stays dependency-light.
