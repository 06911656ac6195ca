/**
 * The engine's persistence port. Synchronous on purpose: the engine is the single writer, and
 * "journal first" is then plain statement order — the intent row is committed before the venue call
 * returns control. Implementations: SqliteStore (better-sqlite3, WAL) and MemoryStore (backtests, tests).
 * The dashboard reads the same tables through Prisma.
 */
import type { SIGNAL_ACTIONS } from "../core/input-schemas";
import type { Instrument } from "../core/instrument";
import type { Decimal } from "../core/money";
import type { Order } from "../core/orders/types";
import type { Position } from "../core/positions/book";
import type { BookedTrade } from "../core/positions/trade-record";
import type { VenueBalance, VenueFill } from "../core/venue-records";

export interface OrderMeta {
  venue: string;
  positionId: string | null;
  /** The price the order was meant to trade at (signal reference or limit price), for slippage. */
  requestedPrice: Decimal | null;
}

export interface StoredOrder {
  order: Order;
  meta: OrderMeta;
}

export type JournalSource = "engine" | "venue" | "reconcile";

export interface JournalEntry {
  /** Assigned by the store, strictly increasing. */
  seq?: number;
  clientOrderId: string;
  /** "intent", or an OrderEvent type ("submit", "accept", "fill", …). */
  type: string;
  source: JournalSource;
  /** The event or intent itself (Decimals allowed: stored with the codec). */
  payload: unknown;
  applied: boolean;
  refusal?: string | null;
  ts: number;
}

export interface FillRecord extends VenueFill {
  venue: string;
  positionId: string | null;
  /** Booked on an order that was already CANCELED/EXPIRED. */
  late: boolean;
}

export interface PositionMeta {
  strategy: string | null;
  signalId: string | null;
}

export interface StoredPosition {
  position: Position;
  /** Exit rules and their evolving state, opaque to the store (JSON via the codec). */
  exit: unknown;
  meta: PositionMeta;
}

export type { TradeOutcome } from "../core/positions/trade-record";

/** A closed trade as stored: the shape core books it in (core/positions/trade-record.ts). */
export type TradeRecord = BookedTrade;

export type SignalStatus = "ACCEPTED" | "DENIED" | "FAILED";

export interface SignalRecord {
  id: string;
  symbol: string;
  /** The engine's `SignalAction` (engine/types.ts), spelled from core because the store sits below the engine. */
  action: (typeof SIGNAL_ACTIONS)[number];
  confidence: number;
  expectedReturn: number | null;
  stopLoss: Decimal | null;
  takeProfit: Decimal | null;
  strategy: string;
  ts: number;
  receivedAt: number;
  source: string;
  status: SignalStatus;
  denyCode: string | null;
  denyReason: string | null;
  clientOrderId: string | null;
}

export interface EquityRecord {
  ts: number;
  equity: Decimal;
  cash: Decimal;
  unrealized: Decimal;
  realized: Decimal;
  fees: Decimal;
  exposure: Decimal;
  cause: "schedule" | "fill" | "start";
}

export interface BreakerEventRecord {
  ts: number;
  kind: "TRIP" | "RESET" | "STATE";
  reason: string;
  message: string;
  by: string;
  action: string | null;
  detail: unknown;
}

export interface AuditRecord {
  ts: number;
  actor: string;
  role: string;
  action: string;
  target: string | null;
  reason: string | null;
  params: unknown;
  result: "OK" | "REFUSED" | "ERROR";
  detail: string | null;
}

export interface DriftRecord {
  ts: number;
  venue: string;
  /** e.g. "MISSED_FILL", "UNKNOWN_ORDER", "STATUS_MISMATCH", "NEVER_SENT", "BALANCE_MISMATCH". */
  kind: string;
  subject: string;
  detail: unknown;
  resolved: boolean;
  resolution: string | null;
}

export interface SymbolSettingRecord {
  symbol: string;
  enabled: boolean;
  settings: unknown;
  updatedAt: number;
  updatedBy: string;
}

/**
 * A parent order (TWAP, VWAP, iceberg, POV, chaser): the core state machine's serialized state (core/algos/serialize.ts)
 * and the engine's own facts about it (who owns it, the position it feeds or reduces), with flat columns for queries.
 */
export interface ParentOrderRecord {
  id: string;
  symbol: string;
  side: "BUY" | "SELL";
  algo: string;
  /** The parent's status (core/algos PARENT_STATUSES). */
  status: string;
  targetQty: Decimal;
  filledQty: Decimal;
  /** serializeParentState(state): Decimals tagged, a version checked on the way back. The whole state as first saved. */
  state: string;
  /** The engine's parent facts (engine/algos.ts ParentMeta), opaque to the store. */
  meta: unknown;
  createdAt: number;
  updatedAt: number;
  /** Loaded only, when saved in parts since (saveParentProgress): the latest serializeParentProgress. */
  progress?: string;
  /** Loaded only, when saved in parts since: the children saved apart (serializeChildRecord), in slice order. */
  children?: string[];
}

/** One step of a parent already saved whole: the row's flat columns and its progress (core/algos serializeParentProgress). */
export interface ParentProgressRecord {
  id: string;
  status: string;
  filledQty: Decimal;
  progress: string;
  updatedAt: number;
}

/** A child of a parent, new or changed in a step (core/algos serializeChildRecord). */
export interface ParentChildRecord {
  parentId: string;
  clientOrderId: string;
  /** 1, 2, …: the order the children were placed in. */
  slice: number;
  state: string;
  updatedAt: number;
}

/** A smart-routing decision (engine/order-routes.ts) with flat columns for queries; `data` is opaque to the store. */
export interface OrderRouteRecord {
  id: string;
  symbol: string;
  side: "BUY" | "SELL";
  mode: string;
  requestedQty: Decimal;
  routedQty: Decimal;
  status: string;
  data: unknown;
  createdAt: number;
  updatedAt: number;
}

export interface LeaseRequest {
  ownerId: string;
  pid: number;
  host: string;
  now: number;
  /** A lease whose heartbeat is older than this is considered abandoned and may be taken over. */
  staleAfterMs: number;
}

export type LeaseResult = { ok: true } | { ok: false; holder: { ownerId: string; pid: number; host: string; heartbeatAt: number } };

/**
 * An order list (OCO, OTO, bracket) as the engine keeps it: who its legs are and what it is waiting for. `data` is the
 * engine's own record (engine/order-lists.ts), stored whole as JSON like an order's; the other columns are for queries.
 */
export interface OrderListRow {
  listId: string;
  kind: string;
  symbol: string;
  /** WORKING until every leg has ended; then DONE or CANCELED. */
  status: string;
  data: unknown;
  createdAt: number;
  updatedAt: number;
}

/** An arbitrage round trip (engine/arbitrage.ts): `data` is the engine's record (legs, repairs, events), opaque here. */
export interface ArbRoundTripRow {
  id: string;
  pairId: string;
  /** open | repairing | done | escalated | halted */
  status: string;
  pnl: Decimal | null;
  data: unknown;
  openedAt: number;
  updatedAt: number;
}

/** An opportunity the arbitrage executor looked at: taken, or skipped (a run of skips for one reason: one row, `count`). */
export interface ArbOpportunityRow {
  id?: number;
  pairId: string;
  outcome: "taken" | "skipped";
  code: string;
  reason: string;
  count: number;
  firstTs: number;
  lastTs: number;
  bestNetBps: Decimal | null;
  buyVenue: string | null;
  sellVenue: string | null;
  qty: Decimal | null;
  roundTripId: string | null;
}

/** The round trips that may still act: not done, escalated to a person, or halted. */
export const OPEN_ARB_STATUSES: readonly string[] = ["open", "repairing"];

export interface Store {
  /** Runs `fn` atomically (nested calls join the outer transaction). */
  transaction<T>(fn: () => T): T;

  appendJournal(entry: JournalEntry): number;
  journalFor(clientOrderId: string): JournalEntry[];
  journalSince(seq: number, limit: number): JournalEntry[];

  saveOrder(order: Order, meta: OrderMeta): void;
  /** Open = not in a terminal status. */
  loadOrders(filter: { onlyOpen: boolean }): StoredOrder[];
  getOrder(clientOrderId: string): StoredOrder | null;

  /** Inserts a fill; false when (venue, tradeId) was already booked. */
  insertFill(fill: FillRecord): boolean;
  hasFill(venue: string, tradeId: string): boolean;
  fillsForOrder(clientOrderId: string): FillRecord[];
  lastFillTs(venue: string): number | null;

  savePosition(position: Position, exit: unknown, meta: PositionMeta): void;
  loadOpenPositions(): StoredPosition[];

  insertTrade(trade: TradeRecord): void;

  getSignal(id: string): SignalRecord | null;
  saveSignal(signal: SignalRecord): void;

  saveBalances(venue: string, balances: VenueBalance[], ts: number): void;
  loadBalances(venue: string): VenueBalance[];

  appendEquity(record: EquityRecord): void;
  lastEquity(): EquityRecord | null;

  getState<T>(key: string): T | null;
  setState(key: string, value: unknown): void;

  appendBreakerEvent(event: BreakerEventRecord): void;
  appendAudit(record: AuditRecord): void;
  appendDrift(record: DriftRecord): void;

  saveSymbolSetting(record: SymbolSettingRecord): void;
  loadSymbolSettings(): SymbolSettingRecord[];

  /**
   * The `instruments` table the read side takes a trade's decimals from (by its symbol; the trade holds its venue): the
   * engine upserts its listings at start (engine/venue-room.ts), and deletes a symbol listed on several venues.
   */
  saveInstrument(venue: string, instrument: Instrument, ts: number): void;
  deleteInstrument(symbol: string): void;

  /**
   * Parent orders (engine/algo-journal.ts): saved whole when new (upserted by id; a whole save replaces any parts saved
   * before), then per step only what changed, in one transaction with the step's intents' journal.
   */
  saveParentOrder(record: ParentOrderRecord): void;
  /** A step of a parent saved whole before: its progress and its new or changed children, all or nothing. */
  saveParentProgress(progress: ParentProgressRecord, children: readonly ParentChildRecord[]): void;
  /** Open = not done, cancelled or failed; ordered by createdAt. */
  loadParentOrders(filter: { onlyOpen: boolean }): ParentOrderRecord[];
  getParentOrder(id: string): ParentOrderRecord | null;

  /** Routing decisions (engine/order-routes.ts): upserted by id, keeping the first createdAt. */
  saveOrderRoute(record: OrderRouteRecord): void;
  getOrderRoute(id: string): OrderRouteRecord | null;
  /** Routes still ROUTING (a round decided, its children being placed): a restart finishes them (engine/order-routes.ts). */
  loadOpenOrderRoutes(): OrderRouteRecord[];

  acquireLease(request: LeaseRequest): LeaseResult;
  /** False when the lease is no longer ours (taken over): the engine must stop writing. */
  heartbeat(ownerId: string, now: number): boolean;
  releaseLease(ownerId: string): void;

  /** Order lists (engine/order-lists.ts): upsert by listId; `onlyOpen` loads the WORKING ones. */
  saveOrderList(row: OrderListRow): void;
  loadOrderLists(filter: { onlyOpen: boolean }): OrderListRow[];
  getOrderList(listId: string): OrderListRow | null;

  /** Arbitrage round trips (engine/arbitrage.ts): upsert by id, saved before a leg is sent. */
  saveArbRoundTrip(row: ArbRoundTripRow): void;
  /** Open ones (status open/repairing) oldest first, or the newest `limit` of all, newest first. */
  loadArbRoundTrips(filter: { onlyOpen: true } | { onlyOpen: false; limit: number }): ArbRoundTripRow[];
  appendArbOpportunity(row: ArbOpportunityRow): void;
  /** The newest `limit` opportunity rows, newest first. */
  loadArbOpportunities(limit: number): ArbOpportunityRow[];
  /** Per pair, outcome and code: rows' counts summed (the view's totals). */
  arbOpportunityCounts(): { pairId: string; outcome: string; code: string; count: number }[];

  close(): void;
}

// ── shared by both stores ────────────────────────────────────────────────────────────────────────

/** The statuses after which a parent order never changes again (core/algos ParentStatus). */
export const TERMINAL_PARENT_STATUSES: ReadonlySet<string> = new Set(["done", "cancelled", "failed"]);

/** The id of the single lease row. */
export const LEASE_ID = "engine";

export type StoreErrorCode =
  "DB_NOT_MIGRATED" | "BAD_DATABASE_URL" | "DUPLICATE_TRADE" | "STORE_CLOSED" | "ASYNC_TRANSACTION" | "LEASE_LOST" | "HISTORY_NOT_KEPT";

/** A store failure people may see: a plain sentence and a code. */
export class StoreError extends Error {
  override readonly name = "StoreError";
  constructor(
    readonly code: StoreErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Read-backs beyond the engine's port, in insertion order: backtest reports (trades, equity curve) and
 * tests. Both stores implement it.
 */
export interface StoreHistory {
  listTrades(): TradeRecord[];
  listEquity(): EquityRecord[];
  listSignals(): SignalRecord[];
  /** Every position, closed ones included, ordered by openedAt. */
  listPositions(): StoredPosition[];
  listFills(): FillRecord[];
  listBreakerEvents(): BreakerEventRecord[];
  listAudit(): AuditRecord[];
  listDrifts(): DriftRecord[];
  /** Every stored instrument listing's symbol and venue, by symbol (the read side reads the table through Prisma). */
  listInstrumentVenues(): { symbol: string; venue: string }[];
}

export interface LeaseRow {
  ownerId: string;
  pid: number;
  host: string;
  acquiredAt: number;
  heartbeatAt: number;
}

/**
 * The lease rule shared by both stores: free when there is no holder, when we hold it, or when the
 * holder's heartbeat is older than `staleAfterMs`; otherwise the holder is returned.
 */
export function leaseDecision(current: LeaseRow | null, request: LeaseRequest): LeaseResult {
  if (current === null || current.ownerId === request.ownerId || request.now - current.heartbeatAt > request.staleAfterMs) {
    return { ok: true };
  }
  return { ok: false, holder: { ownerId: current.ownerId, pid: current.pid, host: current.host, heartbeatAt: current.heartbeatAt } };
}
