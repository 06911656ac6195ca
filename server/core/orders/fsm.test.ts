import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { D, type Decimal } from "../money";
import { ORDER_TRANSITIONS, applyOrderEvent, createOrder, isOpen, isOpenAtVenue, isPendingStatus, isTerminal, leavesQty, type TransitionOutcome } from "./fsm";
import {
  ORDER_STATUSES,
  ORDER_TYPES,
  TERMINAL_STATUSES,
  type Order,
  type OrderEvent,
  type OrderEventType,
  type OrderRefusalCode,
  type OrderSpec,
  type OrderStatus,
} from "./types";

const baseSpec: OrderSpec = { clientOrderId: "ord-1", symbol: "BTC/USDT", side: "BUY", type: "LIMIT", quantity: "10", price: "100", ts: 1_000 };

function spec(over: Partial<OrderSpec> = {}): OrderSpec {
  return { ...baseSpec, ...over };
}

// Event shorthands.
const submit: OrderEvent = { type: "submit" };
const accept: OrderEvent = { type: "accept", venueOrderId: "v-1" };
const trigger: OrderEvent = { type: "trigger" };
const cancelRequest: OrderEvent = { type: "cancelRequest" };
const cancel: OrderEvent = { type: "cancel", reason: "user" };
const cancelReject: OrderEvent = { type: "cancelReject", reason: "order not found" };
const modifyReject: OrderEvent = { type: "modifyReject", reason: "price out of band" };
const expire: OrderEvent = { type: "expire" };
const emulate: OrderEvent = { type: "emulate" };
const release: OrderEvent = { type: "release" };
const fill = (tradeId: string, qty: string | number, price: string | number = "100", fee?: string): OrderEvent => ({
  type: "fill",
  tradeId,
  qty,
  price,
  ...(fee === undefined ? {} : { fee }),
});
const modifyRequest = (m: { qty?: string; price?: string; triggerPrice?: string }): OrderEvent => ({ type: "modifyRequest", ...m });
const modified = (m: { qty?: string; price?: string; triggerPrice?: string }): OrderEvent => ({ type: "modified", ...m });

/** JSON view of an order (Decimal serialises to its string): compares deeply and exactly. */
function snapshot(order: Order): unknown {
  return JSON.parse(JSON.stringify(order)) as unknown;
}

/** Applies events in order; every event but the last must succeed. */
function run(orderSpec: OrderSpec, events: OrderEvent[]) {
  let order = createOrder(orderSpec);
  let last: ReturnType<typeof applyOrderEvent> | null = null;
  events.forEach((event, i) => {
    const result = applyOrderEvent(order, event);
    if (i < events.length - 1 && !result.ok) {
      throw new Error(`event ${i} (${event.type}) refused: ${result.error.code} ${result.error.message}`);
    }
    last = result;
    order = result.order;
  });
  return { order, last: last as ReturnType<typeof applyOrderEvent> | null };
}

interface Scenario {
  name: string;
  spec?: Partial<OrderSpec>;
  events: OrderEvent[];
  status: OrderStatus;
  filledQty: string;
  /** Refusal code of the last event; undefined = every event applied. */
  refusal?: OrderRefusalCode;
  previousStatus?: OrderStatus | null;
  quantity?: string;
  price?: string;
  isTriggered?: boolean;
  reconciliationNeeded?: boolean;
}

const STOP_LIMIT: Partial<OrderSpec> = { type: "STOP_LIMIT", price: "105", triggerPrice: "104" };
const STOP_MARKET: Partial<OrderSpec> = { type: "STOP_MARKET", price: undefined, triggerPrice: "104" };

const scenarios: Scenario[] = [
  // FIX 4.4 Appendix D, filled orders
  { name: "D1 filled order", events: [submit, accept, fill("t1", 10)], status: "FILLED", filledQty: "10" },
  { name: "D1 partial fill", events: [submit, accept, fill("t1", 4)], status: "PARTIALLY_FILLED", filledQty: "4" },
  { name: "D1 partial fill then fill", events: [submit, accept, fill("t1", 4), fill("t2", 6)], status: "FILLED", filledQty: "10" },
  { name: "three partial fills", events: [submit, accept, fill("t1", 2), fill("t2", 3), fill("t3", 1)], status: "PARTIALLY_FILLED", filledQty: "6" },
  { name: "fill before the acknowledgement", events: [submit, fill("t1", 4)], status: "PARTIALLY_FILLED", filledQty: "4" },
  { name: "decimal string fills", events: [submit, accept, fill("t1", "2.5"), fill("t2", "7.5")], status: "FILLED", filledQty: "10" },
  // cancels
  { name: "D cancel request accepted", events: [submit, accept, cancelRequest, cancel], status: "CANCELED", filledQty: "0", previousStatus: null },
  {
    name: "D cancel request rejected restores ACCEPTED",
    events: [submit, accept, cancelRequest, cancelReject],
    status: "ACCEPTED",
    filledQty: "0",
    previousStatus: null,
  },
  {
    name: "D cancel request while partially filled, rejected restores PARTIALLY_FILLED",
    events: [submit, accept, fill("t1", 4), cancelRequest, cancelReject],
    status: "PARTIALLY_FILLED",
    filledQty: "4",
  },
  {
    name: "D cancel request on a partially filled order accepted",
    events: [submit, accept, fill("t1", 4), cancelRequest, cancel],
    status: "CANCELED",
    filledQty: "4",
  },
  {
    name: "D full fill while PENDING_CANCEL",
    events: [submit, accept, cancelRequest, fill("t1", 10)],
    status: "FILLED",
    filledQty: "10",
    previousStatus: null,
  },
  {
    name: "D partial fill while PENDING_CANCEL stays pending",
    events: [submit, accept, cancelRequest, fill("t1", 3)],
    status: "PENDING_CANCEL",
    filledQty: "3",
    previousStatus: "PARTIALLY_FILLED",
  },
  {
    name: "partial fill while PENDING_CANCEL then cancel rejected",
    events: [submit, accept, cancelRequest, fill("t1", 3), cancelReject],
    status: "PARTIALLY_FILLED",
    filledQty: "3",
  },
  {
    name: "partial fill while PENDING_CANCEL then canceled",
    events: [submit, accept, cancelRequest, fill("t1", 3), cancel],
    status: "CANCELED",
    filledQty: "3",
  },
  {
    name: "cancel request on a submitted order rejected restores SUBMITTED",
    events: [submit, cancelRequest, cancelReject],
    status: "SUBMITTED",
    filledQty: "0",
  },
  {
    name: "accept arriving while PENDING_CANCEL, then cancel rejected",
    events: [submit, cancelRequest, accept, cancelReject],
    status: "ACCEPTED",
    filledQty: "0",
  },
  {
    name: "retried cancel request stays PENDING_CANCEL",
    events: [submit, accept, cancelRequest, cancelRequest],
    status: "PENDING_CANCEL",
    filledQty: "0",
    previousStatus: "ACCEPTED",
  },
  { name: "expire while PENDING_CANCEL", events: [submit, accept, cancelRequest, expire], status: "EXPIRED", filledQty: "0", previousStatus: null },
  { name: "IOC canceled without an acknowledgement", spec: { timeInForce: "IOC" }, events: [submit, cancel], status: "CANCELED", filledQty: "0" },
  { name: "IOC partially filled then canceled", spec: { timeInForce: "IOC" }, events: [submit, fill("t1", 4), cancel], status: "CANCELED", filledQty: "4" },
  { name: "local cancel of an unsent order", events: [cancel], status: "CANCELED", filledQty: "0" },
  // cancel/replace
  {
    name: "D modify accepted",
    events: [submit, accept, modifyRequest({ price: "101" }), modified({ price: "101" })],
    status: "ACCEPTED",
    filledQty: "0",
    price: "101",
  },
  {
    name: "D modify rejected restores ACCEPTED",
    events: [submit, accept, modifyRequest({ price: "101" }), modifyReject],
    status: "ACCEPTED",
    filledQty: "0",
    price: "100",
  },
  {
    name: "D modify rejected on a partially filled order",
    events: [submit, accept, fill("t1", 4), modifyRequest({ price: "101" }), modifyReject],
    status: "PARTIALLY_FILLED",
    filledQty: "4",
    price: "100",
  },
  {
    name: "D modify reducing quantity below filled → FILLED",
    events: [submit, accept, fill("t1", 6), modifyRequest({ qty: "5" }), modified({ qty: "5" })],
    status: "FILLED",
    filledQty: "6",
    quantity: "6",
  },
  {
    name: "modify reducing quantity to exactly filled → FILLED",
    events: [submit, accept, fill("t1", 6), modifyRequest({ qty: "6" }), modified({ qty: "6" })],
    status: "FILLED",
    filledQty: "6",
    quantity: "6",
  },
  {
    name: "D modify quantity up on a partially filled order",
    events: [submit, accept, fill("t1", 4), modifyRequest({ qty: "15" }), modified({ qty: "15" })],
    status: "PARTIALLY_FILLED",
    filledQty: "4",
    quantity: "15",
  },
  {
    name: "D partial fill during PENDING_UPDATE",
    events: [submit, accept, modifyRequest({ qty: "12" }), fill("t1", 4)],
    status: "PENDING_UPDATE",
    filledQty: "4",
    previousStatus: "PARTIALLY_FILLED",
  },
  {
    name: "partial fill during PENDING_UPDATE, then modified",
    events: [submit, accept, modifyRequest({ qty: "12" }), fill("t1", 4), modified({ qty: "12" })],
    status: "PARTIALLY_FILLED",
    filledQty: "4",
    quantity: "12",
  },
  { name: "full fill during PENDING_UPDATE", events: [submit, accept, modifyRequest({ price: "99" }), fill("t1", 10)], status: "FILLED", filledQty: "10" },
  {
    // The modify is still unanswered at the venue: its answer must find the order waiting for it.
    name: "modify then cancel request: cancel rejected goes back to PENDING_UPDATE",
    events: [submit, accept, modifyRequest({ price: "99" }), cancelRequest, cancelReject],
    status: "PENDING_UPDATE",
    filledQty: "0",
    previousStatus: "ACCEPTED",
  },
  {
    name: "modify then cancel request: cancel rejected, then the modify confirmed restores the working status",
    events: [submit, accept, modifyRequest({ price: "99" }), cancelRequest, cancelReject, modified({ price: "99" })],
    status: "ACCEPTED",
    filledQty: "0",
    price: "99",
  },
  {
    name: "modify answered while PENDING_CANCEL, then the cancel rejected restores the working status",
    events: [submit, accept, modifyRequest({ price: "99" }), cancelRequest, modified({ price: "99" }), cancelReject],
    status: "ACCEPTED",
    filledQty: "0",
    price: "99",
  },
  {
    name: "modified arriving while PENDING_CANCEL applies and stays pending",
    events: [submit, accept, modifyRequest({ price: "99" }), cancelRequest, modified({ price: "99" })],
    status: "PENDING_CANCEL",
    filledQty: "0",
    price: "99",
    previousStatus: "ACCEPTED",
  },
  // Chained cancel/replace (FIX 4.4 Appendix D, D16): a second modify sent before the first is confirmed. The venue
  // answers them in order; the order stays PENDING_UPDATE until the last answer, and every confirmation applies.
  {
    name: "D16 two modify requests, two confirmations: both apply",
    events: [submit, accept, modifyRequest({ price: "101" }), modifyRequest({ price: "102" }), modified({ price: "101" }), modified({ price: "102" })],
    status: "ACCEPTED",
    filledQty: "0",
    price: "102",
    previousStatus: null,
  },
  {
    name: "D16 first of two chained modifies confirmed: still PENDING_UPDATE with the first change applied",
    events: [submit, accept, modifyRequest({ price: "101" }), modifyRequest({ qty: "12" }), modified({ price: "101" })],
    status: "PENDING_UPDATE",
    filledQty: "0",
    price: "101",
    quantity: "10",
    previousStatus: "ACCEPTED",
  },
  {
    name: "D16 three chained modifies on a partially filled order end PARTIALLY_FILLED with the last change",
    events: [
      submit,
      accept,
      fill("t1", 4),
      modifyRequest({ qty: "12" }),
      modifyRequest({ qty: "14" }),
      modifyRequest({ price: "99" }),
      modified({ qty: "12" }),
      modified({ qty: "14" }),
      modified({ price: "99" }),
    ],
    status: "PARTIALLY_FILLED",
    filledQty: "4",
    quantity: "14",
    price: "99",
    previousStatus: null,
  },
  {
    name: "D16 chained modifies: the first refused, the second confirmed",
    events: [submit, accept, modifyRequest({ price: "101" }), modifyRequest({ price: "102" }), modifyReject, modified({ price: "102" })],
    status: "ACCEPTED",
    filledQty: "0",
    price: "102",
  },
  {
    name: "D16 chained modifies: the first confirmed, the second refused restores the working status",
    events: [submit, accept, modifyRequest({ price: "101" }), modifyRequest({ price: "102" }), modified({ price: "101" }), modifyReject],
    status: "ACCEPTED",
    filledQty: "0",
    price: "101",
  },
  {
    name: "D16 one refusal of two chained modifies keeps PENDING_UPDATE",
    events: [submit, accept, modifyRequest({ price: "101" }), modifyRequest({ price: "102" }), modifyReject],
    status: "PENDING_UPDATE",
    filledQty: "0",
    price: "100",
    previousStatus: "ACCEPTED",
  },
  {
    name: "D16 a third confirmation after two chained modifies is refused",
    events: [
      submit,
      accept,
      modifyRequest({ price: "101" }),
      modifyRequest({ price: "102" }),
      modified({ price: "101" }),
      modified({ price: "102" }),
      modified({ price: "103" }),
    ],
    status: "ACCEPTED",
    filledQty: "0",
    price: "102",
    refusal: "INVALID_TRANSITION",
  },
  {
    name: "chained modifies then a cancel request: both confirmations apply while the cancel stays pending",
    events: [
      submit,
      accept,
      modifyRequest({ price: "101" }),
      modifyRequest({ price: "102" }),
      cancelRequest,
      modified({ price: "101" }),
      modified({ price: "102" }),
    ],
    status: "PENDING_CANCEL",
    filledQty: "0",
    price: "102",
    previousStatus: "ACCEPTED",
  },
  {
    name: "chained modifies, cancel rejected with a modify still unanswered: back to PENDING_UPDATE",
    events: [submit, accept, modifyRequest({ price: "101" }), modifyRequest({ price: "102" }), cancelRequest, modified({ price: "101" }), cancelReject],
    status: "PENDING_UPDATE",
    filledQty: "0",
    price: "101",
    previousStatus: "ACCEPTED",
  },
  {
    name: "chained modifies, cancel rejected, then the last confirmation restores the working status",
    events: [
      submit,
      accept,
      modifyRequest({ price: "101" }),
      modifyRequest({ price: "102" }),
      cancelRequest,
      modified({ price: "101" }),
      cancelReject,
      modified({ price: "102" }),
    ],
    status: "ACCEPTED",
    filledQty: "0",
    price: "102",
    previousStatus: null,
  },
  { name: "cancel during PENDING_UPDATE", events: [submit, accept, modifyRequest({ price: "99" }), cancel], status: "CANCELED", filledQty: "0" },
  {
    name: "modify of a stop trigger price",
    spec: STOP_LIMIT,
    events: [submit, accept, modifyRequest({ triggerPrice: "103" }), modified({ triggerPrice: "103" })],
    status: "ACCEPTED",
    filledQty: "0",
    price: "105",
  },
  // expiry
  { name: "D GTD order expires", spec: { timeInForce: "GTD", expireAt: 5_000 }, events: [submit, accept, expire], status: "EXPIRED", filledQty: "0" },
  {
    name: "GTD order expires after a partial fill",
    spec: { timeInForce: "GTD", expireAt: 5_000 },
    events: [submit, accept, fill("t1", 4), expire],
    status: "EXPIRED",
    filledQty: "4",
  },
  { name: "unsent GTD order expires locally", spec: { timeInForce: "GTD", expireAt: 5_000 }, events: [expire], status: "EXPIRED", filledQty: "0" },
  // late fills
  { name: "late fill after cancel", events: [submit, accept, cancel, fill("t1", 3)], status: "CANCELED", filledQty: "3", reconciliationNeeded: true },
  { name: "late fill after expire", events: [submit, accept, expire, fill("t1", 3)], status: "EXPIRED", filledQty: "3", reconciliationNeeded: true },
  {
    name: "late fill completing a canceled order keeps CANCELED",
    events: [submit, accept, fill("t1", 4), cancel, fill("t2", 6)],
    status: "CANCELED",
    filledQty: "10",
    reconciliationNeeded: true,
  },
  // A timeout taken for a refusal, a risk denial whose order still reached the venue: the execution is real.
  {
    name: "late fill after a rejection is booked",
    events: [submit, { type: "reject", reason: "timeout" }, fill("t1", 3)],
    status: "REJECTED",
    filledQty: "3",
    reconciliationNeeded: true,
  },
  {
    name: "late fill after a denial is booked",
    events: [{ type: "deny", reason: "halted" }, fill("t1", 10)],
    status: "DENIED",
    filledQty: "10",
    reconciliationNeeded: true,
  },
  {
    name: "overfill of a late fill after a rejection refused",
    events: [submit, { type: "reject", reason: "x" }, fill("t1", 11)],
    status: "REJECTED",
    filledQty: "0",
    refusal: "OVERFILL",
  },
  // open at the venue although terminal in the books (reconciliation): tracked again
  {
    name: "rejected order open at the venue is tracked again",
    events: [submit, { type: "reject", reason: "timeout" }, { type: "reopen", reason: "open at the venue", venueOrderId: "v9" }],
    status: "ACCEPTED",
    filledQty: "0",
  },
  {
    name: "canceled order with a fill open at the venue reopens partially filled",
    events: [submit, accept, fill("t1", 4), cancel, { type: "reopen", reason: "open" }],
    status: "PARTIALLY_FILLED",
    filledQty: "4",
  },
  {
    name: "a reopened order fills normally",
    events: [submit, accept, expire, { type: "reopen", reason: "open" }, fill("t1", 10)],
    status: "FILLED",
    filledQty: "10",
  },
  {
    name: "FILLED cannot reopen",
    events: [submit, accept, fill("t1", 10), { type: "reopen", reason: "open" }],
    status: "FILLED",
    filledQty: "10",
    refusal: "TERMINAL",
  },
  {
    name: "a working order cannot reopen",
    events: [submit, accept, { type: "reopen", reason: "open" }],
    status: "ACCEPTED",
    filledQty: "0",
    refusal: "INVALID_TRANSITION",
  },
  // exactly once
  {
    name: "duplicate tradeId refused",
    events: [submit, accept, fill("t1", 4), fill("t1", 4)],
    status: "PARTIALLY_FILLED",
    filledQty: "4",
    refusal: "DUPLICATE_FILL",
  },
  {
    name: "duplicate late fill refused",
    events: [submit, accept, fill("t1", 4), cancel, fill("t1", 4)],
    status: "CANCELED",
    filledQty: "4",
    refusal: "DUPLICATE_FILL",
    reconciliationNeeded: false,
  },
  { name: "overfill refused", events: [submit, accept, fill("t1", 8), fill("t2", 3)], status: "PARTIALLY_FILLED", filledQty: "8", refusal: "OVERFILL" },
  { name: "overfill of a late fill refused", events: [submit, accept, cancel, fill("t1", 11)], status: "CANCELED", filledQty: "0", refusal: "OVERFILL" },
  // terminal statuses refuse
  { name: "FILLED refuses a cancel", events: [submit, accept, fill("t1", 10), cancel], status: "FILLED", filledQty: "10", refusal: "TERMINAL" },
  { name: "FILLED refuses a further fill", events: [submit, accept, fill("t1", 10), fill("t2", 1)], status: "FILLED", filledQty: "10", refusal: "TERMINAL" },
  {
    name: "FILLED refuses a cancel reject",
    events: [submit, accept, cancelRequest, fill("t1", 10), cancelReject],
    status: "FILLED",
    filledQty: "10",
    refusal: "TERMINAL",
  },
  { name: "DENIED refuses submit", events: [{ type: "deny", reason: "risk" }, submit], status: "DENIED", filledQty: "0", refusal: "TERMINAL" },
  {
    name: "REJECTED refuses accept",
    events: [submit, { type: "reject", reason: "insufficient balance" }, accept],
    status: "REJECTED",
    filledQty: "0",
    refusal: "TERMINAL",
  },
  { name: "CANCELED refuses accept", events: [submit, cancel, accept], status: "CANCELED", filledQty: "0", refusal: "TERMINAL" },
  { name: "EXPIRED refuses a cancel request", events: [submit, accept, expire, cancelRequest], status: "EXPIRED", filledQty: "0", refusal: "TERMINAL" },
  // entry paths
  { name: "deny from INITIALIZED", events: [{ type: "deny", reason: "max position" }], status: "DENIED", filledQty: "0" },
  { name: "reject after submit", events: [submit, { type: "reject", reason: "insufficient balance" }], status: "REJECTED", filledQty: "0" },
  {
    name: "reject of an accepted stop-limit",
    spec: STOP_LIMIT,
    events: [submit, accept, { type: "reject", reason: "would cross" }],
    status: "REJECTED",
    filledQty: "0",
  },
  {
    name: "emulate → release → submit → fill",
    spec: STOP_LIMIT,
    events: [emulate, release, submit, accept, fill("t1", 10)],
    status: "FILLED",
    filledQty: "10",
  },
  {
    name: "emulated trigger then release",
    spec: STOP_LIMIT,
    events: [emulate, trigger, release, submit],
    status: "SUBMITTED",
    filledQty: "0",
    isTriggered: true,
  },
  {
    name: "released order denied by the gate",
    spec: STOP_LIMIT,
    events: [emulate, release, { type: "deny", reason: "halted" }],
    status: "DENIED",
    filledQty: "0",
  },
  { name: "emulated order canceled locally", spec: STOP_LIMIT, events: [emulate, cancel], status: "CANCELED", filledQty: "0" },
  // triggers
  {
    name: "trigger STOP_LIMIT → TRIGGERED → filled",
    spec: STOP_LIMIT,
    events: [submit, accept, trigger, fill("t1", 10, "105")],
    status: "FILLED",
    filledQty: "10",
    isTriggered: true,
  },
  { name: "trigger STOP_LIMIT", spec: STOP_LIMIT, events: [submit, accept, trigger], status: "TRIGGERED", filledQty: "0", isTriggered: true },
  {
    name: "trigger TAKE_PROFIT_LIMIT",
    spec: { type: "TAKE_PROFIT_LIMIT", triggerPrice: "95" },
    events: [submit, accept, trigger],
    status: "TRIGGERED",
    filledQty: "0",
    isTriggered: true,
  },
  {
    name: "trigger LIMIT_IF_TOUCHED",
    spec: { type: "LIMIT_IF_TOUCHED", triggerPrice: "95" },
    events: [submit, accept, trigger],
    status: "TRIGGERED",
    filledQty: "0",
    isTriggered: true,
  },
  {
    name: "trigger TRAILING_STOP_LIMIT",
    spec: { type: "TRAILING_STOP_LIMIT", trailingOffset: "2", limitOffset: "1" },
    events: [submit, accept, trigger],
    status: "TRIGGERED",
    filledQty: "0",
    isTriggered: true,
  },
  { name: "trigger STOP_MARKET keeps ACCEPTED", spec: STOP_MARKET, events: [submit, accept, trigger], status: "ACCEPTED", filledQty: "0", isTriggered: true },
  {
    name: "trigger STOP_MARKET before the acknowledgement keeps SUBMITTED",
    spec: STOP_MARKET,
    events: [submit, trigger],
    status: "SUBMITTED",
    filledQty: "0",
    isTriggered: true,
  },
  {
    name: "trigger TAKE_PROFIT_MARKET keeps ACCEPTED",
    spec: { type: "TAKE_PROFIT_MARKET", price: undefined, triggerPrice: "95" },
    events: [submit, accept, trigger],
    status: "ACCEPTED",
    filledQty: "0",
    isTriggered: true,
  },
  {
    name: "trigger TRAILING_STOP_MARKET keeps ACCEPTED",
    spec: { type: "TRAILING_STOP_MARKET", price: undefined, trailingOffset: "2" },
    events: [submit, accept, trigger],
    status: "ACCEPTED",
    filledQty: "0",
    isTriggered: true,
  },
  {
    name: "trigger MARKET refused",
    spec: { type: "MARKET", price: undefined },
    events: [submit, accept, trigger],
    status: "ACCEPTED",
    filledQty: "0",
    refusal: "NOT_TRIGGERABLE",
    isTriggered: false,
  },
  { name: "trigger LIMIT refused", events: [submit, accept, trigger], status: "ACCEPTED", filledQty: "0", refusal: "NOT_TRIGGERABLE", isTriggered: false },
  {
    name: "second trigger of a STOP_MARKET refused",
    spec: STOP_MARKET,
    events: [submit, accept, trigger, trigger],
    status: "ACCEPTED",
    filledQty: "0",
    refusal: "INVALID_TRANSITION",
  },
  {
    name: "trigger of a TRIGGERED order refused",
    spec: STOP_LIMIT,
    events: [submit, accept, trigger, trigger],
    status: "TRIGGERED",
    filledQty: "0",
    refusal: "INVALID_TRANSITION",
  },
  {
    name: "a filled stop-market counts as triggered",
    spec: STOP_MARKET,
    events: [submit, accept, fill("t1", 10, "104.5")],
    status: "FILLED",
    filledQty: "10",
    isTriggered: true,
  },
  {
    name: "trigger while PENDING_CANCEL, cancel rejected → TRIGGERED",
    spec: STOP_LIMIT,
    events: [submit, accept, cancelRequest, trigger, cancelReject],
    status: "TRIGGERED",
    filledQty: "0",
    isTriggered: true,
  },
  // invalid transitions and events
  { name: "accept twice refused", events: [submit, accept, accept], status: "ACCEPTED", filledQty: "0", refusal: "INVALID_TRANSITION" },
  {
    name: "accept twice while pending refused",
    events: [submit, accept, cancelRequest, accept],
    status: "PENDING_CANCEL",
    filledQty: "0",
    refusal: "INVALID_TRANSITION",
  },
  { name: "fill on an unsent order refused", events: [fill("t1", 1)], status: "INITIALIZED", filledQty: "0", refusal: "INVALID_TRANSITION" },
  {
    name: "cancel reject without a pending cancel refused",
    events: [submit, accept, cancelReject],
    status: "ACCEPTED",
    filledQty: "0",
    refusal: "INVALID_TRANSITION",
  },
  {
    name: "modify request on a pending cancel refused",
    events: [submit, accept, cancelRequest, modifyRequest({ price: "1" })],
    status: "PENDING_CANCEL",
    filledQty: "0",
    refusal: "INVALID_TRANSITION",
  },
  {
    name: "reject of a partially filled pending order refused",
    events: [submit, fill("t1", 2), cancelRequest, { type: "reject", reason: "x" }],
    status: "PENDING_CANCEL",
    filledQty: "2",
    refusal: "INVALID_TRANSITION",
  },
  { name: "empty modify request refused", events: [submit, accept, modifyRequest({})], status: "ACCEPTED", filledQty: "0", refusal: "INVALID_EVENT" },
  {
    name: "modify to zero quantity refused",
    events: [submit, accept, modifyRequest({ qty: "0" })],
    status: "ACCEPTED",
    filledQty: "0",
    refusal: "INVALID_EVENT",
  },
  {
    name: "modified with a malformed price refused",
    events: [submit, accept, modifyRequest({ price: "99" }), modified({ price: "abc" })],
    status: "PENDING_UPDATE",
    filledQty: "0",
    refusal: "INVALID_EVENT",
  },
  {
    name: "price modify on a market order refused",
    spec: { type: "MARKET", price: undefined },
    events: [submit, modifyRequest({ price: "99" })],
    status: "SUBMITTED",
    filledQty: "0",
    refusal: "INVALID_EVENT",
  },
  {
    name: "trigger modify on a limit order refused",
    events: [submit, accept, modifyRequest({ triggerPrice: "99" })],
    status: "ACCEPTED",
    filledQty: "0",
    refusal: "INVALID_EVENT",
  },
  { name: "fill with a malformed quantity refused", events: [submit, accept, fill("t1", "1e")], status: "ACCEPTED", filledQty: "0", refusal: "INVALID_EVENT" },
  { name: "fill with NaN quantity refused", events: [submit, accept, fill("t1", Number.NaN)], status: "ACCEPTED", filledQty: "0", refusal: "INVALID_EVENT" },
  { name: "fill with a negative price refused", events: [submit, accept, fill("t1", 1, "-5")], status: "ACCEPTED", filledQty: "0", refusal: "INVALID_EVENT" },
  {
    name: "fill with an infinite fee refused",
    events: [submit, accept, { type: "fill", tradeId: "t1", qty: 1, price: 100, fee: Infinity }],
    status: "ACCEPTED",
    filledQty: "0",
    refusal: "INVALID_EVENT",
  },
  { name: "fill without a trade id refused", events: [submit, accept, fill("", 1)], status: "ACCEPTED", filledQty: "0", refusal: "INVALID_EVENT" },
];

describe("order lifecycle scenarios", () => {
  it("has at least 40 scenarios", () => {
    expect(scenarios.length).toBeGreaterThanOrEqual(40);
  });

  it.each(scenarios)("$name", (s) => {
    const { order, last } = run(spec(s.spec), s.events);
    expect(order.status).toBe(s.status);
    expect(order.filledQty.toString()).toBe(s.filledQty);
    if (s.refusal === undefined) {
      expect(last?.ok).toBe(true);
    } else {
      expect(last?.ok).toBe(false);
      if (last && !last.ok) {
        expect(last.error.code).toBe(s.refusal);
        expect(last.error.message.length).toBeGreaterThan(10);
      }
    }
    if (s.previousStatus !== undefined) expect(order.previousStatus).toBe(s.previousStatus);
    if (s.quantity !== undefined) expect(order.quantity.toString()).toBe(s.quantity);
    if (s.price !== undefined) expect(order.price?.toString()).toBe(s.price);
    if (s.isTriggered !== undefined) expect(order.isTriggered).toBe(s.isTriggered);
    if (s.reconciliationNeeded !== undefined) expect(order.reconciliationNeeded).toBe(s.reconciliationNeeded);
    // Invariants every scenario must keep.
    expect(order.filledQty.lessThanOrEqualTo(order.quantity)).toBe(true);
    expect(order.previousStatus !== null).toBe(isPendingStatus(order.status));
  });
});

describe("createOrder", () => {
  it("starts INITIALIZED with zero fills and defaults", () => {
    const order = createOrder(spec({ tags: { strategy: "demo" }, linkedClientOrderIds: ["x"] }));
    expect(order.status).toBe("INITIALIZED");
    expect(order.filledQty.toString()).toBe("0");
    expect(order.feesPaid.toString()).toBe("0");
    expect(order.avgFillPrice).toBeNull();
    expect(order.eventCount).toBe(1);
    expect(order.createdAt).toBe(1_000);
    expect(order.updatedAt).toBe(1_000);
    expect(order.quantity.toString()).toBe("10");
    expect(order.price?.toString()).toBe("100");
    expect(order.triggerPrice).toBeNull();
    expect(order.timeInForce).toBe("GTC");
    expect(order.triggerSource).toBe("LAST");
    expect(order.contingency).toBe("NONE");
    expect(order.trailing).toBeNull();
    expect(order.tags).toEqual({ strategy: "demo" });
    expect(order.linkedClientOrderIds).toEqual(["x"]);
  });

  it("defaults createdAt to 0 without a timestamp", () => {
    expect(createOrder(spec({ ts: undefined })).createdAt).toBe(0);
  });

  it("copies arrays and tags so later changes to the spec do not leak in", () => {
    const s = spec({ tags: { strategy: "a" }, linkedClientOrderIds: ["x"] });
    const order = createOrder(s);
    s.linkedClientOrderIds!.push("y");
    s.tags!.strategy = "b";
    expect(order.linkedClientOrderIds).toEqual(["x"]);
    expect(order.tags.strategy).toBe("a");
  });

  it("gives trailing stops an active trailing state without an activation price", () => {
    const order = createOrder(spec({ type: "TRAILING_STOP_MARKET", price: undefined, trailingOffset: "50", trailingOffsetType: "PRICE" }));
    expect(order.trailing?.offset.toString()).toBe("50");
    expect(order.trailing?.offsetType).toBe("PRICE");
    expect(order.trailing?.activated).toBe(true);
    expect(order.trailing?.activationPrice).toBeNull();
    expect(order.trailing?.extremePrice).toBeNull();
    expect(order.trailing?.limitOffset).toBeNull();
  });

  it("keeps a trailing stop with an activation price inactive", () => {
    const order = createOrder(
      spec({ type: "TRAILING_STOP_LIMIT", trailingOffset: "25", trailingOffsetType: "BASIS_POINTS", activationPrice: "110", limitOffset: "5" }),
    );
    expect(order.trailing?.activated).toBe(false);
    expect(order.trailing?.activationPrice?.toString()).toBe("110");
    expect(order.trailing?.offsetType).toBe("BASIS_POINTS");
    expect(order.trailing?.limitOffset?.toString()).toBe("5");
  });

  it.each([
    ["NaN quantity", { quantity: Number.NaN }],
    ["infinite quantity", { quantity: Infinity }],
    ["malformed quantity", { quantity: "ten" }],
    ["zero quantity", { quantity: 0 }],
    ["negative quantity", { quantity: "-1" }],
    ["malformed price", { price: "1,5" }],
    ["trailing stop without offset", { type: "TRAILING_STOP_MARKET" as const, price: undefined }],
  ])("throws TypeError on programmer error: %s", (_name, over) => {
    expect(() => createOrder(spec(over))).toThrow(TypeError);
  });
});

describe("applyOrderEvent details", () => {
  it("builds a fill's copy and every other event's copy with the same keys in the same order (one hidden class)", () => {
    const created = createOrder(spec());
    const submitted = applyOrderEvent(created, submit).order;
    const partly = applyOrderEvent(submitted, fill("t1", 3)).order;
    const accepted = applyOrderEvent(partly, accept).order;
    const filled = applyOrderEvent(accepted, fill("t2", 7)).order;
    expect(filled.status).toBe("FILLED");
    for (const order of [submitted, partly, accepted, filled]) expect(Object.keys(order)).toEqual(Object.keys(created));
  });

  it("computes the exact volume-weighted average price, fees and trade ids", () => {
    const { order } = run(spec(), [submit, accept, fill("t1", 3, "100", "0.3"), fill("t2", "1", "104", "-0.05")]);
    expect(order.avgFillPrice?.toString()).toBe("101");
    expect(order.feesPaid.toString()).toBe("0.25");
    expect(order.tradeIds).toEqual(["t1", "t2"]);
    expect(leavesQty(order).toString()).toBe("6");
  });

  it("averages with decimals that floats would get wrong", () => {
    const { order } = run(spec({ quantity: "0.3" }), [submit, fill("t1", "0.1", "0.1"), fill("t2", "0.2", "0.2")]);
    // (0.01 + 0.04) / 0.3 = 0.1666…
    expect(order.avgFillPrice?.toFixed(10)).toBe("0.1666666667");
    expect(order.filledQty.toString()).toBe("0.3");
    expect(order.status).toBe("FILLED");
  });

  it("sets updatedAt from the event, keeps it without a timestamp, and counts events", () => {
    let order = createOrder(spec());
    const a = applyOrderEvent(order, { type: "submit", ts: 2_000 });
    order = a.order;
    expect(order.updatedAt).toBe(2_000);
    order = applyOrderEvent(order, { type: "accept" }).order;
    expect(order.updatedAt).toBe(2_000);
    expect(order.eventCount).toBe(3);
    expect(order.createdAt).toBe(1_000);
    const refused = applyOrderEvent(order, { type: "submit", ts: 9_000 });
    expect(refused.order.updatedAt).toBe(2_000);
    expect(refused.order.eventCount).toBe(3);
  });

  it("stores the venue order id on accept", () => {
    const { order } = run(spec(), [submit, { type: "accept", venueOrderId: "BN-42" }]);
    expect(order.venueOrderId).toBe("BN-42");
  });

  it.each<[string, OrderEvent[], string | null]>([
    ["deny", [{ type: "deny", reason: "daily loss limit reached" }], "daily loss limit reached"],
    ["reject", [submit, { type: "reject", reason: "insufficient balance" }], "insufficient balance"],
    ["cancel", [submit, { type: "cancel", reason: "emergency stop" }], "emergency stop"],
    ["cancel without a reason keeps the last one", [submit, accept, cancelRequest, cancelReject, { type: "cancel" }], "order not found"],
    ["cancel reject", [submit, accept, cancelRequest, cancelReject], "order not found"],
    ["modify reject", [submit, accept, modifyRequest({ price: "1" }), modifyReject], "price out of band"],
  ])("stores the reason of %s", (_name, events, reason) => {
    expect(run(spec(), events).order.reason).toBe(reason);
  });

  it("reports by how much a fill would overfill", () => {
    const { last } = run(spec(), [submit, fill("t1", 8), fill("t2", "2.5")]);
    expect(last?.ok).toBe(false);
    if (last && !last.ok) {
      expect(last.error.code).toBe("OVERFILL");
      expect(last.error.message).toContain("by 0.5");
      expect(last.error.message).toContain("10.5");
    }
  });

  it("flags a late fill on the result and the order", () => {
    const { order, last } = run(spec(), [submit, accept, cancel, fill("t1", 2, "101", "0.1")]);
    expect(last).toEqual({ ok: true, order, reconciliationNeeded: true });
    expect(order.reconciliationNeeded).toBe(true);
    expect(order.avgFillPrice?.toString()).toBe("101");
    expect(order.feesPaid.toString()).toBe("0.1");
    expect(leavesQty(order).toString()).toBe("0");
  });

  it("does not flag reconciliation for a normal fill", () => {
    const { order, last } = run(spec(), [submit, fill("t1", 2)]);
    expect(last).toEqual({ ok: true, order });
    expect(order.reconciliationNeeded).toBe(false);
  });

  it("never mutates the input order and returns it unchanged on a refusal", () => {
    const start = run(spec(), [submit, accept, fill("t1", 4)]).order;
    const before = snapshot(start);
    const applied = applyOrderEvent(start, fill("t2", 2));
    expect(applied.ok).toBe(true);
    expect(snapshot(start)).toEqual(before);
    expect(start.tradeIds).toEqual(["t1"]);
    const refused = applyOrderEvent(start, fill("t1", 2));
    expect(refused.ok).toBe(false);
    expect(refused.order).toBe(start);
    expect(snapshot(start)).toEqual(before);
  });
});

describe("status helpers", () => {
  const at = (status: OrderStatus): Order => ({ ...createOrder(spec()), status, filledQty: D(4) });
  it.each<[OrderStatus, boolean, boolean, boolean, string]>([
    ["INITIALIZED", false, false, false, "6"],
    ["DENIED", true, false, false, "0"],
    ["EMULATED", false, true, false, "6"],
    ["RELEASED", false, true, false, "6"],
    ["SUBMITTED", false, true, true, "6"],
    ["ACCEPTED", false, true, true, "6"],
    ["TRIGGERED", false, true, true, "6"],
    ["PENDING_UPDATE", false, true, true, "6"],
    ["PENDING_CANCEL", false, true, true, "6"],
    ["PARTIALLY_FILLED", false, true, true, "6"],
    ["FILLED", true, false, false, "0"],
    ["CANCELED", true, false, false, "0"],
    ["EXPIRED", true, false, false, "0"],
    ["REJECTED", true, false, false, "0"],
  ])("%s: terminal %s, open %s, open at venue %s, leaves %s", (status, terminal, open, atVenue, leaves) => {
    const order = at(status);
    expect(isTerminal(order)).toBe(terminal);
    expect(isOpen(order)).toBe(open);
    expect(isOpenAtVenue(order)).toBe(atVenue);
    expect(leavesQty(order).toString()).toBe(leaves);
  });
});

// ---------------------------------------------------------------------------------------------
// The table is the single source of truth: every (status, event) pair behaves as it says.

const EVENT_FIXTURES: Record<OrderEventType, OrderEvent> = {
  deny: { type: "deny", reason: "risk" },
  emulate,
  release,
  submit,
  accept,
  reject: { type: "reject", reason: "venue" },
  trigger,
  fill: fill("t-walk", 4, "100"),
  cancelRequest,
  cancel,
  cancelReject,
  modifyRequest: modifyRequest({ price: "101" }),
  modified: modified({ price: "101" }),
  modifyReject,
  expire,
  reopen: { type: "reopen", reason: "open at the venue" },
};

/** A STOP_LIMIT order in `status`, not triggered, nothing filled; pending statuses came from SUBMITTED. */
function orderIn(status: OrderStatus): Order {
  const order = createOrder(spec(STOP_LIMIT));
  return { ...order, status, previousStatus: isPendingStatus(status) ? "SUBMITTED" : null };
}

/** What each outcome means for the fixture above and a 4-of-10 fill. */
function expectedStatus(outcome: TransitionOutcome, from: OrderStatus): OrderStatus {
  switch (outcome) {
    case "fill":
      return "PARTIALLY_FILLED";
    case "trigger":
      return "TRIGGERED";
    case "triggerEmulated":
      return "EMULATED";
    case "restorePrevious":
      return "SUBMITTED";
    case "reopened":
      return "ACCEPTED";
    case "modified":
    case "modifyRefused":
      // The fixture has one modify unanswered at most: its answer ends PENDING_UPDATE.
      return from === "PENDING_CANCEL" ? "PENDING_CANCEL" : "SUBMITTED";
    case "queueModify":
    case "fillWhilePending":
    case "lateFill":
    case "triggerWhilePending":
    case "acceptWhilePending":
    case "stay":
      return from;
    default:
      return outcome;
  }
}

describe("ORDER_TRANSITIONS", () => {
  const pairs = ORDER_STATUSES.flatMap((status) => (Object.keys(EVENT_FIXTURES) as OrderEventType[]).map((eventType) => [status, eventType] as const));

  it("has a row for every status and fixtures for every event type", () => {
    expect(Object.keys(ORDER_TRANSITIONS).sort()).toEqual([...ORDER_STATUSES].sort());
    expect(pairs.length).toBe(14 * 16);
  });

  it.each(pairs)("%s + %s behaves as the table says", (status, eventType) => {
    const order = orderIn(status);
    const before = snapshot(order);
    const result = applyOrderEvent(order, EVENT_FIXTURES[eventType]);
    const outcome = ORDER_TRANSITIONS[status][eventType];
    if (outcome === undefined) {
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.error.code).toBe(TERMINAL_STATUSES.has(status) ? "TERMINAL" : "INVALID_TRANSITION");
      expect(result.order).toBe(order);
    } else {
      expect(result.ok).toBe(true);
      expect(result.order.status).toBe(expectedStatus(outcome, status));
      expect(result.order.eventCount).toBe(order.eventCount + 1);
      expect(result.order.previousStatus !== null).toBe(isPendingStatus(result.order.status));
    }
    expect(snapshot(order)).toEqual(before);
  });

  it("lets terminal statuses accept nothing but late fills and a reopen, and FILLED nothing at all", () => {
    for (const status of TERMINAL_STATUSES) {
      const allowed = Object.keys(ORDER_TRANSITIONS[status]).sort();
      expect(allowed).toEqual(status === "FILLED" ? [] : ["fill", "reopen"]);
    }
  });

  it("never moves into INITIALIZED, and only pending statuses restore", () => {
    for (const status of ORDER_STATUSES) {
      for (const outcome of Object.values(ORDER_TRANSITIONS[status])) {
        expect(outcome).not.toBe("INITIALIZED");
        if (
          outcome === "restorePrevious" ||
          outcome === "fillWhilePending" ||
          outcome === "acceptWhilePending" ||
          outcome === "queueModify" ||
          outcome === "modifyRefused"
        ) {
          expect(isPendingStatus(status)).toBe(true);
        }
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Properties over random event sequences.

const tradeIdArb = fc.constantFrom("t1", "t2", "t3", "t4", "t5", "t6", "t7", "t8");
const amountArb = fc.integer({ min: 1, max: 15 }).map(String);
const validFillArb: fc.Arbitrary<OrderEvent> = fc.record({
  type: fc.constant("fill" as const),
  tradeId: tradeIdArb,
  qty: fc.integer({ min: 1, max: 6 }).map(String),
  price: fc.integer({ min: 90, max: 110 }).map(String),
  fee: fc.integer({ min: -5, max: 20 }).map((n) => (n / 100).toString()),
});
// Weighted so that sequences get deep into the lifecycle instead of ending at the first cancel.
const eventArb: fc.Arbitrary<OrderEvent> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom<OrderEvent>(submit, accept, trigger, emulate, release) },
  { weight: 6, arbitrary: validFillArb },
  {
    weight: 1,
    arbitrary: fc.record({ type: fc.constant("fill" as const), tradeId: tradeIdArb, qty: fc.constantFrom("0", "-1", "NaN", "abc"), price: fc.constant("100") }),
  },
  { weight: 3, arbitrary: fc.constantFrom<OrderEvent>(cancelRequest, cancelReject, modifyReject) },
  {
    weight: 3,
    arbitrary: fc.oneof(
      fc.record({ type: fc.constant("modifyRequest" as const), qty: amountArb }),
      fc.record({ type: fc.constant("modified" as const), qty: amountArb }),
      fc.record({ type: fc.constant("modified" as const), price: amountArb }),
    ),
  },
  { weight: 1, arbitrary: fc.constantFrom<OrderEvent>({ type: "deny", reason: "r" }, { type: "reject", reason: "r" }, cancel, expire) },
);
const sequenceArb = fc.array(eventArb, { maxLength: 40 });

describe("FSM properties", () => {
  it("keeps the accounting and state invariants on any event sequence", () => {
    const reached = new Set<string>();
    fc.assert(
      fc.property(fc.constantFrom(...ORDER_TYPES), sequenceArb, (type, events) => {
        const s: OrderSpec = {
          ...baseSpec,
          type,
          price: ["MARKET", "STOP_MARKET", "TAKE_PROFIT_MARKET", "TRAILING_STOP_MARKET"].includes(type) ? undefined : "100",
          triggerPrice: type === "MARKET" || type === "LIMIT" ? undefined : "101",
          trailingOffset: type.startsWith("TRAILING") ? "1" : undefined,
        };
        let order = createOrder(s);
        let appliedQty: Decimal = D(0);
        let appliedFees: Decimal = D(0);
        const appliedPrices: number[] = [];
        for (const event of events) {
          const before = snapshot(order);
          const wasTerminal = isTerminal(order);
          const statusBefore = order.status;
          const result = applyOrderEvent(order, event);
          expect(snapshot(order)).toEqual(before); // input never mutated
          if (!result.ok) {
            reached.add(result.error.code);
            expect(result.order).toBe(order);
            expect(snapshot(result.order)).toEqual(before);
            continue;
          }
          if (event.type === "fill") {
            appliedQty = appliedQty.plus(D(event.qty));
            appliedFees = appliedFees.plus(D(event.fee ?? 0));
            appliedPrices.push(Number(event.price));
          }
          order = result.order;
          reached.add(result.reconciliationNeeded ? "LATE_FILL" : `${statusBefore}+${event.type}`);
          reached.add(order.status);
          if (wasTerminal) expect(order.status).toBe(statusBefore);
          expect(order.filledQty.lessThanOrEqualTo(order.quantity)).toBe(true);
          expect(order.filledQty.toString()).toBe(appliedQty.toString());
          expect(order.feesPaid.toString()).toBe(appliedFees.toString());
          expect(order.tradeIds.length).toBe(appliedPrices.length);
          expect(new Set(order.tradeIds).size).toBe(order.tradeIds.length);
          expect(order.previousStatus !== null).toBe(isPendingStatus(order.status));
          // Unanswered modify requests exist only in a pending status, and PENDING_UPDATE always awaits one.
          if ((order.pendingModifies ?? 0) > 0) expect(isPendingStatus(order.status)).toBe(true);
          if (order.status === "PENDING_UPDATE") expect(order.pendingModifies).toBeGreaterThanOrEqual(1);
          if (order.status === "TRIGGERED") expect(order.isTriggered).toBe(true);
          if (order.avgFillPrice !== null) {
            expect(order.avgFillPrice.isFinite()).toBe(true);
            expect(order.avgFillPrice.toNumber()).toBeGreaterThanOrEqual(Math.min(...appliedPrices) - 1e-9);
            expect(order.avgFillPrice.toNumber()).toBeLessThanOrEqual(Math.max(...appliedPrices) + 1e-9);
          }
          if (order.status === "FILLED") expect(order.filledQty.toString()).toBe(order.quantity.toString());
        }
      }),
      { numRuns: 400, seed: 20240601 },
    );
    // The sequences must actually exercise the paths the invariants are about.
    for (const label of [
      "DUPLICATE_FILL",
      "OVERFILL",
      "TERMINAL",
      "INVALID_EVENT",
      "LATE_FILL",
      "FILLED",
      "PENDING_CANCEL+fill",
      "PENDING_UPDATE+fill",
      "PENDING_CANCEL+cancelReject",
      "PENDING_UPDATE+modified",
      "PENDING_UPDATE+modifyRequest",
      "TRIGGERED",
    ]) {
      expect(reached).toContain(label);
    }
  });

  it("a refused event is idempotent: applying it again is refused with the same code", () => {
    fc.assert(
      fc.property(sequenceArb, eventArb, (events, probe) => {
        let order = createOrder(spec(STOP_LIMIT));
        for (const event of events) order = applyOrderEvent(order, event).order;
        const first = applyOrderEvent(order, probe);
        if (!first.ok) {
          const second = applyOrderEvent(first.order, probe);
          expect(second.ok).toBe(false);
          if (!second.ok) expect(second.error.code).toBe(first.error.code);
        }
      }),
      { numRuns: 200, seed: 7 },
    );
  });
});
