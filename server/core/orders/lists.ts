/**
 * Order lists: OCO pairs and brackets (entry + stop-loss + take-profit).
 * Everything here returns plain data (specs to create, intents to act on); the engine does the I/O and
 * every resulting order still passes the risk gate.
 */
import { parseDecimal, type Decimal } from "../money";
import { err, ok, type Result } from "../errors";
import { isOpen, isTerminal } from "./fsm";
import { type Order, type OrderSide, type OrderSpec, type OrderType } from "./types";

/**
 * Links two specs as an OCO pair under `listId`. Throws TypeError when both legs share a client order id
 * (a programming error: the pair could never be told apart).
 */
export function createOcoList(listId: string, specA: OrderSpec, specB: OrderSpec): [OrderSpec, OrderSpec] {
  if (specA.clientOrderId === specB.clientOrderId) {
    throw new TypeError(`createOcoList: both legs have the client order id ${specA.clientOrderId}`);
  }
  return [
    { ...specA, listId, contingency: "OCO", linkedClientOrderIds: [specB.clientOrderId] },
    { ...specB, listId, contingency: "OCO", linkedClientOrderIds: [specA.clientOrderId] },
  ];
}

/** Orders that a reaction may still cancel: open or not yet sent, and not already being canceled. */
function cancellable(order: Order): boolean {
  return !isTerminal(order) && order.status !== "PENDING_CANCEL";
}

/** The latest version of each order: `changed` supersedes its copy in `orders`. */
function byId(orders: readonly Order[], changed: Order): Map<string, Order> {
  const map = new Map<string, Order>();
  for (const order of orders) map.set(order.clientOrderId, order);
  map.set(changed.clientOrderId, changed);
  return map;
}

/**
 * Which OCO siblings to cancel after `changed` moved. An OCO list acts as one unit:
 * - any fill of a leg, partial included, cancels the other leg (the filled leg keeps working for its remainder:
 *   the two legs are alternatives, and letting both execute would double the exposure);
 * - a leg that ends without executing (canceled, expired, rejected, denied) also cancels its sibling,
 *   as venues do with their native OCO lists.
 * Siblings already terminal or PENDING_CANCEL are left out. Returns client order ids.
 */
export function ocoReaction(orders: readonly Order[], changed: Order): string[] {
  if (changed.contingency !== "OCO") return [];
  if (!changed.filledQty.greaterThan(0) && !isTerminal(changed)) return [];
  const latest = byId(orders, changed);
  const siblingIds = new Set(changed.linkedClientOrderIds);
  if (changed.listId !== null) {
    for (const order of latest.values()) {
      if (order.listId === changed.listId && order.contingency === "OCO") siblingIds.add(order.clientOrderId);
    }
  }
  siblingIds.delete(changed.clientOrderId);
  const cancel: string[] = [];
  for (const id of siblingIds) {
    const sibling = latest.get(id);
    if (sibling && cancellable(sibling)) cancel.push(id);
  }
  return cancel;
}

/** A stop-loss or take-profit leg: the side defaults to the opposite of the entry, the quantity to the entry's. */
export type BracketLegSpec = Omit<OrderSpec, "side" | "quantity"> & { side?: OrderSide; quantity?: OrderSpec["quantity"] };

export interface BracketInput {
  listId: string;
  entry: OrderSpec;
  stopLoss: BracketLegSpec;
  takeProfit: BracketLegSpec;
}

export interface Bracket {
  listId: string;
  /** contingency OTO, linked to both legs. */
  entry: OrderSpec;
  /** Opposite side, reduce-only, parent = entry, OCO with the take-profit. */
  stopLoss: OrderSpec;
  /** Opposite side, reduce-only, parent = entry, OCO with the stop-loss. */
  takeProfit: OrderSpec;
}

export type BracketCode = "DUPLICATE_CLIENT_ORDER_ID" | "BRACKET_SYMBOL" | "BRACKET_SIDE" | "BRACKET_QUANTITY" | "BRACKET_LEG_TYPE" | "BRACKET_PRICES";

const STOP_LOSS_TYPES: ReadonlySet<OrderType> = new Set(["STOP_MARKET", "STOP_LIMIT", "TRAILING_STOP_MARKET", "TRAILING_STOP_LIMIT"]);
const TAKE_PROFIT_TYPES: ReadonlySet<OrderType> = new Set(["LIMIT", "TAKE_PROFIT_MARKET", "TAKE_PROFIT_LIMIT", "LIMIT_IF_TOUCHED"]);

/** The price at which a leg acts: its trigger, else its limit price. */
function legLevel(spec: Pick<OrderSpec, "triggerPrice" | "price">): Decimal | null {
  if (spec.triggerPrice !== undefined) return parseDecimal(spec.triggerPrice);
  if (spec.price !== undefined) return parseDecimal(spec.price);
  return null;
}

/**
 * Builds a bracket. Legs always cover the entry's whole quantity (scaling out in parts is done with separate
 * orders), so a leg quantity, when given, must equal the entry's. Amount validity itself is left to
 * `validateOrderSpec`, which every spec still goes through.
 */
export function createBracket(input: BracketInput): Result<Bracket, BracketCode> {
  const { listId, entry, stopLoss, takeProfit } = input;
  const ids = [entry.clientOrderId, stopLoss.clientOrderId, takeProfit.clientOrderId];
  if (new Set(ids).size !== ids.length) {
    return err("DUPLICATE_CLIENT_ORDER_ID", `A bracket needs three different client order ids, got ${ids.join(", ")}.`);
  }
  const exitSide: OrderSide = entry.side === "BUY" ? "SELL" : "BUY";
  const legs = [
    ["stop-loss", stopLoss, STOP_LOSS_TYPES],
    ["take-profit", takeProfit, TAKE_PROFIT_TYPES],
  ] as const;
  for (const [label, leg, types] of legs) {
    if (leg.symbol !== entry.symbol) {
      return err("BRACKET_SYMBOL", `The ${label} is for ${leg.symbol} but the entry is for ${entry.symbol}.`);
    }
    if (leg.side !== undefined && leg.side !== exitSide) {
      return err("BRACKET_SIDE", `The ${label} of a ${entry.side} entry must be a ${exitSide} order, not ${leg.side}.`);
    }
    if (!types.has(leg.type)) {
      return err("BRACKET_LEG_TYPE", `A ${leg.type} order cannot be the ${label}: use one of ${[...types].join(", ")}.`);
    }
    if (leg.quantity !== undefined) {
      const legQty = parseDecimal(leg.quantity);
      const entryQty = parseDecimal(entry.quantity);
      if (legQty !== null && entryQty !== null && !legQty.equals(entryQty)) {
        return err("BRACKET_QUANTITY", `The ${label} quantity ${legQty.toString()} must equal the entry quantity ${entryQty.toString()}.`);
      }
    }
  }

  // Long: stop-loss below, take-profit above (the entry price, when known, in between); short the mirror.
  const stopLevel = legLevel(stopLoss);
  const profitLevel = legLevel(takeProfit);
  const entryLevel = legLevel(entry);
  const long = entry.side === "BUY";
  const below = (a: Decimal | null, b: Decimal | null): boolean => a === null || b === null || a.lessThan(b);
  const ordered = long
    ? below(stopLevel, entryLevel) && below(entryLevel, profitLevel) && below(stopLevel, profitLevel)
    : below(profitLevel, entryLevel) && below(entryLevel, stopLevel) && below(profitLevel, stopLevel);
  if (!ordered) {
    const show = (d: Decimal | null): string => (d === null ? "market" : d.toString());
    return err(
      "BRACKET_PRICES",
      `For a ${long ? "long" : "short"} bracket the stop-loss must be ${long ? "below" : "above"} the entry and the take-profit ` +
        `${long ? "above" : "below"} it (stop-loss ${show(stopLevel)}, entry ${show(entryLevel)}, take-profit ${show(profitLevel)}).`,
    );
  }

  const leg = (spec: BracketLegSpec, siblingId: string, reason: string): OrderSpec => ({
    ...spec,
    side: exitSide,
    quantity: spec.quantity ?? entry.quantity,
    reduceOnly: true,
    listId,
    contingency: "OCO",
    linkedClientOrderIds: [siblingId],
    parentClientOrderId: entry.clientOrderId,
    tags: { reason, ...spec.tags },
  });
  return ok({
    listId,
    entry: {
      ...entry,
      listId,
      contingency: "OTO",
      linkedClientOrderIds: [stopLoss.clientOrderId, takeProfit.clientOrderId],
      tags: { reason: "entry", ...entry.tags },
    },
    stopLoss: leg(stopLoss, takeProfit.clientOrderId, "stop_loss"),
    takeProfit: leg(takeProfit, stopLoss.clientOrderId, "take_profit"),
  });
}

export interface LegSizing {
  clientOrderId: string;
  quantity: Decimal;
}

/** What the engine should do after a bracket order moved. Plain data; each new or changed order passes the risk gate. */
export interface BracketIntents {
  /** Legs not sent yet (INITIALIZED) to submit now, with this quantity. */
  submit: LegSizing[];
  /** Working legs to modify to this (larger) quantity. */
  resize: LegSizing[];
  /** Orders to cancel. */
  cancel: string[];
}

/**
 * Reacts to a change of a bracket's entry or leg.
 * Entry:
 * - once it has filled anything, the legs protect what has filled: legs not sent yet are submitted with the
 *   filled quantity, working legs smaller than it are resized to it (each further partial fill grows them);
 * - ending (canceled, expired, rejected, denied) without any fill cancels both legs; after a partial fill the
 *   legs stay, sized to the fill.
 * Leg: any fill (partial included) cancels the sibling leg, and the entry's unfilled remainder if it is still
 * working (the trade is being exited; growing it further would leave new size unprotected). A leg that ends
 * without a fill leaves the other leg in place, so the position keeps what protection it has.
 */
export function bracketReaction(orders: readonly Order[], changed: Order): BracketIntents {
  const intents: BracketIntents = { submit: [], resize: [], cancel: [] };
  const latest = byId(orders, changed);

  if (changed.parentClientOrderId === null) {
    const legs = [...latest.values()].filter((o) => o.parentClientOrderId === changed.clientOrderId);
    if (changed.filledQty.greaterThan(0)) {
      for (const leg of legs) {
        if (leg.status === "INITIALIZED") {
          intents.submit.push({ clientOrderId: leg.clientOrderId, quantity: changed.filledQty });
        } else if (cancellable(leg) && leg.quantity.lessThan(changed.filledQty)) {
          intents.resize.push({ clientOrderId: leg.clientOrderId, quantity: changed.filledQty });
        }
      }
    } else if (isTerminal(changed)) {
      for (const leg of legs) if (cancellable(leg)) intents.cancel.push(leg.clientOrderId);
    }
    return intents;
  }

  if (!changed.filledQty.greaterThan(0)) return intents;
  for (const order of latest.values()) {
    const isSibling = order.parentClientOrderId === changed.parentClientOrderId && order.clientOrderId !== changed.clientOrderId;
    if (isSibling && cancellable(order)) intents.cancel.push(order.clientOrderId);
  }
  const entry = latest.get(changed.parentClientOrderId);
  if (entry && isOpen(entry) && entry.status !== "PENDING_CANCEL") intents.cancel.push(entry.clientOrderId);
  return intents;
}
