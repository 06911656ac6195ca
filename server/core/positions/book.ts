/**
 * Positions: fills → quantity, average cost, exact realized PnL and fees.
 *
 * Accounting model (average cost):
 * - `costBasis` is the exact cost of the open quantity (Σ entry notional − cost released by exits).
 *   `avgEntryPrice` = costBasis / quantity is for display and trigger levels; accounting never uses it.
 * - An exit releases cost in proportion to the quantity it closes; a full close releases the exact
 *   remaining cost, so over a whole position Σ realized = Σ exit notional − Σ entry notional, with no drift.
 * - Fees are in quote currency (negative = rebate) and are charged when the fill is applied, so
 *   `realizedPnlNet` of an open position already carries its entry fees.
 *
 * Several positions may exist per symbol, long and short; the book never nets them together.
 * A fill larger than what is open closes the position and reports the `excess`: the caller decides
 * whether to open an opposite position with it (nothing here ever flips a position silently).
 */
import { appended } from "../arrays";
import { type IdGenerator } from "../ids";
import { type Decimal, type DecimalInput, D, ZERO, add, isPositive, maxDec, minDec, minusCompact, parseDecimal, sub, timesCompact } from "../money";
import { type OrderSide } from "../orders/types";
import { type Result, err, ok } from "../errors";

export const POSITION_SIDES = ["LONG", "SHORT"] as const;
export type PositionSide = (typeof POSITION_SIDES)[number];

/**
 * OPENING: created, no fill yet. OPEN: has quantity. SCALING: a scale-in/out order is working (a fill returns it
 * to OPEN). CLOSING: a closing order is working (it stays CLOSING through partial fills until flat, or until
 * `markOpen` when the order ends without closing). CLOSED: flat, terminal.
 */
export const POSITION_STATES = ["OPENING", "OPEN", "SCALING", "CLOSING", "CLOSED"] as const;
export type PositionState = (typeof POSITION_STATES)[number];

/** Decimal places kept when an exit releases part of the cost basis (the remainder stays exact). */
const COST_DECIMAL_PLACES = 20;

/** A fill as the position recorded it: the quantity and fee that this position took. */
export interface PositionFill {
  readonly tradeId: string;
  readonly side: OrderSide;
  /** "entry" grows the position, "exit" shrinks it. */
  readonly role: "entry" | "exit";
  /** Quantity applied to this position (for an over-close, the closed part only). */
  readonly qty: Decimal;
  readonly price: Decimal;
  /** Fee charged to this position (for an over-close, the share of the closed part). */
  readonly fee: Decimal;
  readonly ts: number;
}

export interface Position {
  readonly id: string;
  readonly symbol: string;
  readonly side: PositionSide;
  readonly state: PositionState;
  /** Open quantity, always ≥ 0. */
  readonly quantity: Decimal;
  /** Exact cost of the open quantity, quote currency. */
  readonly costBasis: Decimal;
  /** Average cost of the open quantity; null before the first fill. Kept as it was when the position closed. */
  readonly avgEntryPrice: Decimal | null;
  /** Gross realized PnL (before fees). */
  readonly realizedPnl: Decimal;
  /** Entry and exit fees paid, quote currency (negative = net rebate). */
  readonly fees: Decimal;
  /** realizedPnl − fees. */
  readonly realizedPnlNet: Decimal;
  /** When the position was created (the ts given to openPosition). Max-age exits count from here. */
  readonly openedAt: number;
  readonly closedAt: number | null;
  readonly lastFillAt: number | null;
  readonly fills: readonly PositionFill[];
  /** Largest open quantity reached. */
  readonly peakQuantity: Decimal;
  /** Σ entry quantities and Σ entry notional over the position's life. */
  readonly entryQuantity: Decimal;
  readonly entryNotional: Decimal;
  /** Σ exit quantities and Σ exit notional over the position's life. */
  readonly exitQuantity: Decimal;
  readonly exitNotional: Decimal;
  /** Volume-weighted average exit price; null before the first exit. */
  readonly avgExitPrice: Decimal | null;
}

export type PositionErrorCode =
  | "INVALID_FILL"
  | "DUPLICATE_FILL"
  | "POSITION_CLOSED"
  | "NOTHING_TO_CLOSE"
  | "INVALID_TRANSITION"
  | "NOT_FLAT"
  | "UNKNOWN_POSITION"
  | "DUPLICATE_POSITION"
  | "INVALID_POSITION";

export interface FillInput {
  tradeId: string;
  side: OrderSide;
  qty: DecimalInput;
  price: DecimalInput;
  /** Quote currency; negative = rebate. Defaults to 0. */
  fee?: DecimalInput;
  ts: number;
}

export interface FillOutcome {
  position: Position;
  /** Gross PnL realized by this fill (0 for an entry). */
  realizedPnl: Decimal;
  /** Quantity this fill closed (0 for an entry). */
  closedQty: Decimal;
  /**
   * Quantity of an exit fill beyond what was open. The position is CLOSED; the caller may open an opposite
   * position with this quantity (same tradeId, price and `excessFee`). Never applied here.
   */
  excess: Decimal;
  /** The part of the fill's fee that belongs to `excess` (fee × excess / fill qty; 0 without excess). */
  excessFee: Decimal;
}

export interface OpenPositionInput {
  id: string;
  symbol: string;
  side: PositionSide;
  ts: number;
}

export function newPositionId(ids: IdGenerator): string {
  return ids.next("pos");
}

/** A new, empty position (OPENING, quantity 0). */
export function openPosition(input: OpenPositionInput): Position {
  return {
    id: input.id,
    symbol: input.symbol,
    side: input.side,
    state: "OPENING",
    quantity: ZERO,
    costBasis: ZERO,
    avgEntryPrice: null,
    realizedPnl: ZERO,
    fees: ZERO,
    realizedPnlNet: ZERO,
    openedAt: input.ts,
    closedAt: null,
    lastFillAt: null,
    fills: [],
    peakQuantity: ZERO,
    entryQuantity: ZERO,
    entryNotional: ZERO,
    exitQuantity: ZERO,
    exitNotional: ZERO,
    avgExitPrice: null,
  };
}

/** The order side that grows a position of this side (BUY for LONG). */
export function entrySide(side: PositionSide): OrderSide {
  return side === "LONG" ? "BUY" : "SELL";
}

/** The order side that shrinks a position of this side (SELL for LONG). */
export function exitSide(side: PositionSide): OrderSide {
  return side === "LONG" ? "SELL" : "BUY";
}

export function isFlat(position: Position): boolean {
  return position.quantity.isZero();
}

/** Whether a fill of this trade id is among `fills` (a loop: no closure built per applied fill). */
function hasTrade(fills: readonly PositionFill[], tradeId: string): boolean {
  for (let i = 0; i < fills.length; i++) if (fills[i]!.tradeId === tradeId) return true;
  return false;
}

/**
 * Applies one fill. An entry-side fill scales in; an exit-side fill scales out and realizes PnL; an exit fill larger
 * than the open quantity closes the position and reports the excess. Refusals leave the position unchanged.
 */
export function applyFill(position: Position, fill: FillInput): Result<FillOutcome, PositionErrorCode> {
  if (position.state === "CLOSED") {
    return err("POSITION_CLOSED", `Position ${position.id} (${position.symbol}) is closed; fill ${String(fill.tradeId)} cannot be applied to it.`, {
      positionId: position.id,
      tradeId: fill.tradeId,
    });
  }
  if (typeof fill.tradeId !== "string" || fill.tradeId.length === 0) {
    return err("INVALID_FILL", `A fill on position ${position.id} has no trade id.`);
  }
  if (hasTrade(position.fills, fill.tradeId)) {
    return err("DUPLICATE_FILL", `Fill ${fill.tradeId} was already applied to position ${position.id}.`, {
      positionId: position.id,
      tradeId: fill.tradeId,
    });
  }
  if (fill.side !== "BUY" && fill.side !== "SELL") {
    return err("INVALID_FILL", `Fill ${fill.tradeId} has side ${String(fill.side)}; expected BUY or SELL.`);
  }
  const qty = parseDecimal(fill.qty);
  if (qty === null || !isPositive(qty)) {
    return err("INVALID_FILL", `Fill ${fill.tradeId} has quantity ${String(fill.qty)}; it must be a positive number.`, { tradeId: fill.tradeId });
  }
  const price = parseDecimal(fill.price);
  if (price === null || !isPositive(price)) {
    return err("INVALID_FILL", `Fill ${fill.tradeId} has price ${String(fill.price)}; it must be a positive number.`, { tradeId: fill.tradeId });
  }
  const fee = fill.fee === undefined ? ZERO : parseDecimal(fill.fee);
  if (fee === null) {
    return err("INVALID_FILL", `Fill ${fill.tradeId} has fee ${String(fill.fee)}; it must be a finite number.`, { tradeId: fill.tradeId });
  }
  if (typeof fill.ts !== "number" || !Number.isFinite(fill.ts)) {
    return err("INVALID_FILL", `Fill ${fill.tradeId} has time ${String(fill.ts)}; it must be epoch milliseconds.`, { tradeId: fill.tradeId });
  }

  const lastFillAt = position.lastFillAt === null ? fill.ts : Math.max(position.lastFillAt, fill.ts);

  if (fill.side === entrySide(position.side)) {
    // Compact: the entry's notional is kept (cost basis, entry notional) in the position's records (money.ts timesCompact).
    const notional = timesCompact(qty, price);
    // `add`/`sub` skip the arithmetic when a side is zero (a first entry: most fills on the backtest path).
    const flat = position.quantity.isZero() && position.costBasis.isZero();
    const quantity = add(position.quantity, qty);
    const costBasis = add(position.costBasis, notional);
    const fees = add(position.fees, fee);
    return ok({
      position: {
        ...position,
        state: position.state === "CLOSING" ? "CLOSING" : "OPEN",
        quantity,
        costBasis,
        // Entering from flat: the average is the fill's price itself (notional ÷ qty could round in the 40th digit).
        avgEntryPrice: flat ? price : costBasis.dividedBy(quantity),
        fees,
        realizedPnlNet: sub(position.realizedPnl, fees),
        lastFillAt,
        fills: appended(position.fills, { tradeId: fill.tradeId, side: fill.side, role: "entry", qty, price, fee, ts: fill.ts }),
        peakQuantity: maxDec(position.peakQuantity, quantity),
        entryQuantity: add(position.entryQuantity, qty),
        entryNotional: add(position.entryNotional, notional),
      },
      realizedPnl: ZERO,
      closedQty: ZERO,
      excess: ZERO,
      excessFee: ZERO,
    });
  }

  if (position.quantity.isZero()) {
    return err("NOTHING_TO_CLOSE", `Position ${position.id} has no quantity yet; a ${fill.side} fill of ${qty.toString()} would not close anything.`, {
      positionId: position.id,
      tradeId: fill.tradeId,
    });
  }

  const closedQty = minDec(qty, position.quantity);
  const excess = sub(qty, closedQty);
  const closedFee = excess.isZero() ? fee : fee.times(closedQty).dividedBy(qty).toDecimalPlaces(COST_DECIMAL_PLACES);
  const excessFee = sub(fee, closedFee);
  const quantity = sub(position.quantity, closedQty);
  const closesAll = quantity.isZero();
  // The last exit takes the exact remaining cost, so rounding of partial releases never accumulates.
  const releasedCost = closesAll ? position.costBasis : position.costBasis.times(closedQty).dividedBy(position.quantity).toDecimalPlaces(COST_DECIMAL_PLACES);
  const exitNotional = timesCompact(closedQty, price);
  const realized = position.side === "LONG" ? minusCompact(exitNotional, releasedCost) : minusCompact(releasedCost, exitNotional);
  const realizedPnl = add(position.realizedPnl, realized);
  const fees = add(position.fees, closedFee);
  const firstExit = position.exitQuantity.isZero();
  const totalExitQty = add(position.exitQuantity, closedQty);
  const totalExitNotional = add(position.exitNotional, exitNotional);
  const costBasis = closesAll ? ZERO : position.costBasis.minus(releasedCost);

  return ok({
    position: {
      ...position,
      state: closesAll ? "CLOSED" : position.state === "CLOSING" ? "CLOSING" : "OPEN",
      quantity,
      costBasis,
      avgEntryPrice: closesAll ? position.avgEntryPrice : costBasis.dividedBy(quantity),
      realizedPnl,
      fees,
      realizedPnlNet: sub(realizedPnl, fees),
      closedAt: closesAll ? fill.ts : null,
      lastFillAt,
      fills: appended(position.fills, { tradeId: fill.tradeId, side: fill.side, role: "exit", qty: closedQty, price, fee: closedFee, ts: fill.ts }),
      exitQuantity: totalExitQty,
      exitNotional: totalExitNotional,
      avgExitPrice: firstExit ? price : totalExitNotional.dividedBy(totalExitQty),
    },
    realizedPnl: realized,
    closedQty,
    excess,
    excessFee,
  });
}

function transition(position: Position, to: PositionState, allowed: readonly PositionState[]): Result<Position, PositionErrorCode> {
  if (position.state === "CLOSED") {
    return err("POSITION_CLOSED", `Position ${position.id} (${position.symbol}) is closed; it cannot become ${to}.`, { positionId: position.id });
  }
  if (position.state === to) return ok(position);
  if (!allowed.includes(position.state)) {
    return err("INVALID_TRANSITION", `Position ${position.id} is ${position.state}; it cannot become ${to}.`, {
      positionId: position.id,
      from: position.state,
      to,
    });
  }
  return ok({ ...position, state: to });
}

/** The engine placed a scale-in or scale-out order for an open position. */
export function markScaling(position: Position): Result<Position, PositionErrorCode> {
  return transition(position, "SCALING", ["OPEN"]);
}

/** The engine placed an order that closes the position (an exit rule, a manual close, a flatten). */
export function markClosing(position: Position): Result<Position, PositionErrorCode> {
  return transition(position, "CLOSING", ["OPENING", "OPEN", "SCALING"]);
}

/**
 * A scale or close order ended (canceled, rejected, expired) with quantity still open: back to OPEN.
 * A CLOSING position that never had a fill goes back to OPENING.
 */
export function markOpen(position: Position): Result<Position, PositionErrorCode> {
  if (position.quantity.isZero() && position.state !== "CLOSED") {
    if (position.state === "CLOSING") return ok({ ...position, state: "OPENING" });
    if (position.state === "OPENING") return ok(position);
    return err("INVALID_TRANSITION", `Position ${position.id} has no quantity; it cannot be OPEN.`, { positionId: position.id });
  }
  return transition(position, "OPEN", ["SCALING", "CLOSING"]);
}

/** Closes a position that never got a fill (its entry order was canceled or rejected). */
export function abandonPosition(position: Position, ts: number): Result<Position, PositionErrorCode> {
  if (position.state === "CLOSED") {
    return err("POSITION_CLOSED", `Position ${position.id} (${position.symbol}) is already closed.`, { positionId: position.id });
  }
  if (!position.quantity.isZero()) {
    return err("NOT_FLAT", `Position ${position.id} still holds ${position.quantity.toString()} ${position.symbol}; close it with fills.`, {
      positionId: position.id,
      quantity: position.quantity.toString(),
    });
  }
  return ok({ ...position, state: "CLOSED", closedAt: ts });
}

/** PnL of the open quantity at `markPrice` (LONG: value − cost; SHORT: cost − value). Exact. */
export function unrealizedPnl(position: Position, markPrice: DecimalInput): Decimal {
  if (position.quantity.isZero()) return ZERO;
  return unrealizedPnlOfValue(position, positionValue(position, markPrice));
}

/** unrealizedPnl from the open quantity's value at the mark (positionValue), for a caller that needs the value too. */
export function unrealizedPnlOfValue(position: Position, value: Decimal): Decimal {
  return position.side === "LONG" ? minusCompact(value, position.costBasis) : minusCompact(position.costBasis, value);
}

/**
 * The average price of every entry fill (entry notional ÷ entry quantity), for the trade record; with a
 * single entry fill, that fill's price as is (the division could round it in the 40th digit). Zero before any entry.
 */
export function averageEntryPrice(position: Position): Decimal {
  if (position.entryQuantity.isZero()) return ZERO;
  let only: PositionFill | null = null;
  for (const fill of position.fills) {
    if (fill.role !== "entry") continue;
    if (only !== null) return position.entryNotional.dividedBy(position.entryQuantity);
    only = fill;
  }
  return only !== null ? only.price : position.entryNotional.dividedBy(position.entryQuantity);
}

/** Unrealized PnL in percent of the open quantity's cost basis (its entry notional); 0 when flat. */
export function unrealizedPnlPct(position: Position, markPrice: DecimalInput): Decimal {
  if (position.quantity.isZero() || position.costBasis.isZero()) return ZERO;
  return unrealizedPnl(position, markPrice).dividedBy(position.costBasis).times(100);
}

/** Market value of the open quantity at `markPrice` (unsigned notional, for shorts too). */
export function positionValue(position: Position, markPrice: DecimalInput): Decimal {
  return timesCompact(position.quantity, D(markPrice));
}

/** realized + unrealized − fees: the position's whole contribution to equity at `markPrice`. */
export function totalPnl(position: Position, markPrice: DecimalInput): Decimal {
  return position.realizedPnl.plus(unrealizedPnl(position, markPrice)).minus(position.fees);
}

// ---------------------------------------------------------------------------------------------------------------
// The book: many positions keyed by id. Immutable: every change returns a new book.

export interface PositionBook {
  readonly positions: ReadonlyMap<string, Position>;
}

export function emptyBook(): PositionBook {
  return { positions: new Map() };
}

export function bookFrom(positions: Iterable<Position>): Result<PositionBook, PositionErrorCode> {
  const map = new Map<string, Position>();
  for (const p of positions) {
    if (map.has(p.id)) return err("DUPLICATE_POSITION", `Position id ${p.id} appears twice.`, { positionId: p.id });
    map.set(p.id, p);
  }
  return ok({ positions: map });
}

export function getPosition(book: PositionBook, positionId: string): Position | undefined {
  return book.positions.get(positionId);
}

export function allPositions(book: PositionBook): Position[] {
  return [...book.positions.values()];
}

/** Positions on `symbol` that are not CLOSED (or all of them with includeClosed). */
export function positionsForSymbol(book: PositionBook, symbol: string, options: { includeClosed?: boolean } = {}): Position[] {
  return allPositions(book).filter((p) => p.symbol === symbol && (options.includeClosed === true || p.state !== "CLOSED"));
}

/** Every position that is not CLOSED (OPENING ones included: their entry order is working). */
export function openPositions(book: PositionBook): Position[] {
  return allPositions(book).filter((p) => p.state !== "CLOSED");
}

export function closedPositions(book: PositionBook): Position[] {
  return allPositions(book).filter((p) => p.state === "CLOSED");
}

/** Σ long quantity − Σ short quantity on `symbol`. */
export function netQuantity(book: PositionBook, symbol: string): Decimal {
  let net = ZERO;
  for (const p of book.positions.values()) {
    if (p.symbol !== symbol) continue;
    net = p.side === "LONG" ? net.plus(p.quantity) : net.minus(p.quantity);
  }
  return net;
}

/** Adds a new position; refuses an id already in the book. */
export function addPosition(book: PositionBook, position: Position): Result<PositionBook, PositionErrorCode> {
  if (book.positions.has(position.id)) {
    return err("DUPLICATE_POSITION", `Position ${position.id} is already in the book.`, { positionId: position.id });
  }
  const positions = new Map(book.positions);
  positions.set(position.id, position);
  return ok({ positions });
}

/** Opens a new position in the book, with the given id or one from `ids`. */
export function openPositionInBook(
  book: PositionBook,
  input: { symbol: string; side: PositionSide; ts: number; id?: string },
  ids?: IdGenerator,
): Result<{ book: PositionBook; position: Position }, PositionErrorCode> {
  const id = input.id ?? (ids ? newPositionId(ids) : undefined);
  if (id === undefined || id.length === 0) {
    return err("INVALID_POSITION", `A new ${input.side} position on ${input.symbol} needs an id or an id generator.`);
  }
  const position = openPosition({ id, symbol: input.symbol, side: input.side, ts: input.ts });
  const added = addPosition(book, position);
  if (!added.ok) return added;
  return ok({ book: added.value, position });
}

/** Replaces a position already in the book (after markScaling/markClosing …). */
export function replacePosition(book: PositionBook, position: Position): Result<PositionBook, PositionErrorCode> {
  if (!book.positions.has(position.id)) {
    return err("UNKNOWN_POSITION", `Position ${position.id} is not in the book.`, { positionId: position.id });
  }
  const positions = new Map(book.positions);
  positions.set(position.id, position);
  return ok({ positions });
}

export function applyFillToPosition(book: PositionBook, positionId: string, fill: FillInput): Result<FillOutcome & { book: PositionBook }, PositionErrorCode> {
  const position = book.positions.get(positionId);
  if (!position) return err("UNKNOWN_POSITION", `Position ${positionId} is not in the book.`, { positionId });
  const applied = applyFill(position, fill);
  if (!applied.ok) return applied;
  const positions = new Map(book.positions);
  positions.set(positionId, applied.value.position);
  return ok({ ...applied.value, book: { positions } });
}

/** Applies a state helper (markScaling, markClosing, markOpen) to a position in the book. */
export function updatePositionInBook(
  book: PositionBook,
  positionId: string,
  change: (position: Position) => Result<Position, PositionErrorCode>,
): Result<{ book: PositionBook; position: Position }, PositionErrorCode> {
  const position = book.positions.get(positionId);
  if (!position) return err("UNKNOWN_POSITION", `Position ${positionId} is not in the book.`, { positionId });
  const changed = change(position);
  if (!changed.ok) return changed;
  const positions = new Map(book.positions);
  positions.set(positionId, changed.value);
  return ok({ book: { positions }, position: changed.value });
}
