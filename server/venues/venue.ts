/**
 * The Venue port: the one interface the engine trades through. Adapters: the simulator (paper, replay,
 * backtest) and ccxt (live). Requests are started synchronously and return the events the venue
 * already knows (the simulator knows everything at once); events that come later (a real exchange's
 * acknowledgements and fills) are pushed into the sink, which the engine drains in order.
 */
import type { Instrument } from "../core/instrument";
import type { Decimal } from "../core/money";
import type { OrderSpec } from "../core/orders/types";
import type { MarketUpdate } from "../core/market-data";
import type { OrderChanges, VenueEvent } from "../core/orders/events";

import type { VenueBalance, VenueFill, VenueOrderSnapshot, VenuePosition } from "../core/venue-records";
import type { VisibleBook } from "../core/algos/routing";

export type { MarketUpdate, OrderChanges, VenueEvent, VenueBalance, VenueFill, VenueOrderSnapshot, VenuePosition, VisibleBook };

export type VenueStatus = { connected: boolean; latencyMs: number | null; lastError: string | null; detail?: string };

/** A transient failure (network, timeout, rate limit, exchange down): retried with backoff, counted by the breaker. */
export class TransientVenueError extends Error {
  readonly transient = true;
  constructor(
    message: string,
    readonly code = "VENUE_UNAVAILABLE",
  ) {
    super(message);
  }
}

/** A final failure (insufficient funds, invalid order, auth): shown to the user, not retried. */
export class FinalVenueError extends Error {
  readonly transient = false;
  constructor(
    message: string,
    readonly code = "VENUE_REFUSED",
  ) {
    super(message);
  }
}

/**
 * An OCO pair sent as one native order list (e.g. Binance spot `POST /api/v3/orderList/oco`): two alternatives of one
 * symbol, side and quantity, each with the clientOrderId the engine chose; the venue cancels one when the other executes.
 */
export interface OcoListSpec {
  /** The engine's list id (sent as the venue's list client id where it has one). */
  listId: string;
  legs: [OrderSpec, OrderSpec];
}

/**
 * A one-triggers-the-other pair sent as one native order list (e.g. Binance spot `POST /api/v3/orderList/oto`): the
 * working order rests at once; the venue places the pending order itself when the working one has filled in full.
 */
export interface OtoListSpec {
  /** The engine's list id (sent as the venue's list client id where it has one). */
  listId: string;
  working: OrderSpec;
  pending: OrderSpec;
}

/** A request to a venue, as retried by the resilience layer. */
export type VenueRequest =
  | { kind: "submit"; spec: OrderSpec }
  | { kind: "submitOco"; list: OcoListSpec }
  | { kind: "submitOto"; list: OtoListSpec }
  | { kind: "cancel"; clientOrderId: string }
  | { kind: "cancelAll"; symbol: string | undefined };

/** The clientOrderIds a request places (both legs of an OCO or OTO list), or [] for cancels. */
export function placedIds(request: VenueRequest): string[] {
  if (request.kind === "submitOto") return [request.list.working.clientOrderId, request.list.pending.clientOrderId];
  return request.kind === "submit" ? [request.spec.clientOrderId] : request.kind === "submitOco" ? request.list.legs.map((l) => l.clientOrderId) : [];
}

/** Where a venue whose requests fail after the synchronous call returned (a real exchange) reports those failures. */
export type FailureSink = (request: VenueRequest, error: TransientVenueError | FinalVenueError) => void;

export interface ReportsAsyncFailures {
  setFailureSink(sink: FailureSink): void;
}

export function reportsAsyncFailures(venue: unknown): venue is ReportsAsyncFailures {
  return typeof (venue as { setFailureSink?: unknown } | null)?.setFailureSink === "function";
}

/** A submission whose outcome is unknown (the request may have executed), as the venue layer reports it. */
export interface InDoubtReport {
  clientOrderId: string;
  /** The venue's words (scrubbed by the adapter). */
  reason: string;
  /** When the request that may have landed was sent (a venue's fence counts from here). */
  sentAt: number;
  ts: number;
}

export interface Venue {
  /** Stable id used in fills' (venue, tradeId) uniqueness, e.g. "sim" or "binance". */
  readonly id: string;
  readonly kind: "sim" | "ccxt";
  instruments(): Instrument[];
  /** Where events that arrive later are delivered. Set once by the engine before any request. */
  setEventSink(sink: (events: VenueEvent[]) => void): void;

  submit(spec: OrderSpec, now: number): VenueEvent[];
  /**
   * Whether the venue can hold this order natively. False: the engine keeps it EMULATED, watches its trigger on market
   * data and releases it as a market or limit order. Absent: every order type is native (the simulator).
   */
  holdsNatively?(spec: OrderSpec): boolean;
  /**
   * True for an in-process simulator whose state lives in the desk's own database: a request the engine makes inside its
   * open transaction is saved in that transaction, so the intent and the venue's acceptance commit together (one commit
   * instead of two, and no moment where one is durable without the other). Absent/false for every real venue.
   */
  readonly joinsDeskTransaction?: boolean;
  /** The desk's transaction rolled back after this venue wrote into it: the venue must not go on from its memory. */
  deskTransactionRolledBack?(): void;
  /**
   * Whether the venue holds this OCO pair natively, as one order list that cancels the other leg itself. Absent or
   * false: the engine emulates the list (order-lists.ts), each leg an ordinary order.
   */
  holdsOcoNatively?(list: OcoListSpec): boolean;
  /**
   * Sends an OCO pair as one native order list (only after `holdsOcoNatively` said yes). Like submit: checks that fail
   * before anything is sent throw a FinalVenueError; events for both legs come back or later through the sink. Canceling
   * either leg ends the list at the venue (the other leg's cancel or expiry is reported like any order's).
   */
  submitOco?(list: OcoListSpec, now: number): VenueEvent[];
  /** Whether the venue holds this OTO pair natively, as one order list that places the pending order itself. Absent: no. */
  holdsOtoNatively?(list: OtoListSpec): boolean;
  /**
   * Sends an OTO pair as one native order list (only after `holdsOtoNatively` said yes), like submitOco: both orders are
   * accepted or refused as one; the pending order is reported accepted at once and fills only after the working one has
   * filled in full; canceling either ends the list at the venue.
   */
  submitOto?(list: OtoListSpec, now: number): VenueEvent[];
  cancel(clientOrderId: string, now: number): VenueEvent[];
  /** Every open order (trigger orders too), of one symbol or all. */
  cancelAll(symbol: string | undefined, now: number): VenueEvent[];
  modify(clientOrderId: string, changes: OrderChanges, now: number): VenueEvent[];
  /** Whether `modify` works for this symbol's orders; absent: the simulator's do, others are amended by cancel-replace. */
  modifiesNatively?(symbol: string): boolean;
  /** Market data: simulated venues match against it; real venues ignore it and return []. */
  onMarketData(update: MarketUpdate, now: number): VenueEvent[];
  /** Lets a simulated venue process arrivals and expiries when no market data comes. */
  advanceTo(now: number): VenueEvent[];

  fetchOrder(clientOrderId: string): Promise<VenueOrderSnapshot | null>;
  fetchOpenOrders(): Promise<VenueOrderSnapshot[]>;
  /** Fills at or after `since` (epoch ms). */
  fetchFills(since: number): Promise<VenueFill[]>;
  fetchBalances(): Promise<VenueBalance[]>;
  /** Open derivatives positions of the traded symbols; absent where the venue has none to report (spot, the simulator). */
  fetchPositions?(): Promise<VenuePosition[]>;
  /** The last known free balance of a currency without a request (the simulator's exact one; a live venue's last fetch), or null. */
  freeBalance(currency: string): Decimal | null;
  status(): VenueStatus;
  /**
   * Optional, for smart order routing: what the venue shows of a symbol's book now, at most `depth` levels a side, without
   * a request (the simulator's own book), or null. Absent: the venue set uses the last book its market data carried.
   */
  visibleBook?(symbol: string, depth: number): VisibleBook | null;
  /** Optional: asks the exchange for a symbol's book (ccxt fetchOrderBook), at most `depth` levels a side. */
  fetchVisibleBook?(symbol: string, depth: number): Promise<VisibleBook>;
  /** Which exchange this is (ccxt's id, e.g. "binance"); absent: the simulator. */
  exchangeName?(): string;
  /** Flushes and releases resources (files, sockets). */
  close(): Promise<void>;

  // Optional: the resilience layer (ResilientVenue) and venues that document a fence.
  /**
   * A fence the venue documents for a new order of this symbol: milliseconds after sending after which its matching
   * engine itself refuses the request (so an order not found after it was never placed). null or absent: none that
   * can be relied on.
   */
  submitFenceMs?(symbol: string): number | null;
  /** Where submissions with an unknown outcome are reported (the engine marks them in doubt; they are never re-sent). */
  setInDoubtSink?(sink: (report: InDoubtReport) => void): void;
  /** Whether a request for this order is queued, waiting for a retry, or sent and not answered. */
  requestInFlight?(clientOrderId: string): boolean;
  /** The halt latch: refuse new orders; drop queued ones and pending retries (their ids are returned). */
  haltNewOrders?(): string[];
  /** The halt was reset. */
  resumeNewOrders?(): void;
}
