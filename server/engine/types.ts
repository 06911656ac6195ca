/** The engine's vocabulary: signals in, commands in, domain events out; and the records its rooms share. */
import type { Refusal } from "../core/errors";
import type { Decimal } from "../core/money";
import type { Order, OrderSide, OrderType, TimeInForce } from "../core/orders/types";
import type { ExitState, Position } from "../core/positions";
import type { OrderMeta, PositionMeta } from "../db/store";
import type { ProtectionFiring } from "../core/protection/types";
import type { TradingState } from "../core/risk/trading-state";
import type { SIGNAL_ACTIONS } from "../core/input-schemas";
import type { PlaceListRequest } from "./order-lists";
import type { AlgoRequest, END_BEHAVIOURS, RESTART_POLICIES } from "../core/algos/request";
import type { RouteMode } from "../core/algos/route-mode";
import type { UnconvertedAmounts } from "./accounting";

/** What a signal asks for (the webhook's and tRPC's `action`). */
export type SignalAction = (typeof SIGNAL_ACTIONS)[number];

export interface Signal {
  id: string;
  symbol: string;
  action: SignalAction;
  /** 0..1 */
  confidence: number;
  expectedReturn?: number | null;
  stopLoss?: number | null;
  takeProfit?: number | null;
  strategy: string;
  /** When the signal was produced (epoch ms). */
  ts: number;
  /** The venue to trade at (a desk with several); absent: the desk routes it (venue-room.ts). */
  venue?: string;
  /** Work the entry with an algorithm (engine/algos.ts) instead of one market order. */
  algo?: AlgoRequest;
  /** Without a venue: split the entry over the venues' visible books, or send it whole to the best one (order-routes.ts). */
  route?: RouteMode;
}

/** Who asks: a person (audited) or the system. */
export interface Actor {
  username: string;
  role: "viewer" | "trader" | "admin" | "system";
}

export const SYSTEM: Actor = { username: "system", role: "system" };

export interface ManualOrderRequest {
  symbol: string;
  side: OrderSide;
  type: OrderType;
  quantity: string;
  price?: string;
  triggerPrice?: string;
  timeInForce?: TimeInForce;
  expireAt?: number;
  postOnly?: boolean;
  reduceOnly?: boolean;
  /** Trailing stops: distance of the trigger from the best price seen, and an optional activation price. */
  trailingOffset?: string;
  trailingOffsetType?: "PRICE" | "BASIS_POINTS";
  activationPrice?: string;
  /** The venue to send it to (a desk with several); absent: the position's venue, else the best net price. */
  venue?: string;
  /** Work the order with an algorithm (a parent order); `price` is then the parent's limit-price guard. */
  algo?: AlgoRequest;
  /** A MARKET or LIMIT entry without a venue: split over the venues' visible books, or whole to the best one (order-routes.ts). */
  route?: RouteMode;
  endBehaviour?: (typeof END_BEHAVIOURS)[number];
}

/** A parent order a person starts (engine/algos.ts). `limitPrice`: no child buys above / sells below it. */
export interface ParentOrderRequest {
  symbol: string;
  side: OrderSide;
  quantity: string;
  limitPrice?: string;
  algo: AlgoRequest;
  endBehaviour?: (typeof END_BEHAVIOURS)[number];
  restartPolicy?: (typeof RESTART_POLICIES)[number];
  /** The venue to work on (a desk with several); absent: the engine's venue (a reducing parent: its position's). */
  venue?: string;
}

export type EngineCommand =
  /** `actor`: a person sent it (tRPC signals.submit); the signal is then audited like every manual action. */
  | { kind: "signal"; signal: Signal; source: string; actor?: Actor }
  | { kind: "manualOrder"; order: ManualOrderRequest; actor: Actor; reason: string | null }
  | { kind: "closePosition"; positionId: string; fraction?: number; quantity?: string; actor: Actor; reason: string | null }
  /** `exitReason` (system only, e.g. "end_of_data" in backtests) overrides the default "manual". */
  | { kind: "closeAll"; actor: Actor; reason: string | null; exitReason?: string }
  | { kind: "cancelOrder"; clientOrderId: string; actor: Actor; reason: string | null }
  /** `venue`: only that venue (a desk with several); without it, every venue. */
  | { kind: "cancelAll"; symbol?: string; venue?: string; actor: Actor; reason: string | null }
  | { kind: "pause"; venue?: string; actor: Actor; reason: string | null }
  | { kind: "resume"; venue?: string; actor: Actor; reason: string | null }
  /** With `venue`: halts that venue only (cancel-all there, optionally flatten there); the others trade on. */
  | { kind: "emergencyStop"; flatten: boolean; venue?: string; actor: Actor; reason: string }
  | { kind: "tripBreaker"; actor: Actor; reason: string }
  | { kind: "resetBreaker"; actor: Actor; reason: string; force?: boolean }
  | { kind: "setExits"; positionId: string; stopLoss?: number | null; takeProfit?: number | null; actor: Actor; reason: string | null }
  /** Settings changes: validated again by the engine (the input is whatever the caller sent), written and audited in one transaction. */
  | { kind: "setSymbolSettings"; symbol: string; settings: unknown; actor: Actor; reason?: null }
  | { kind: "setRiskLimits"; limits: unknown; actor: Actor; reason?: null }
  | { kind: "setBreakerConfig"; config: unknown; actor: Actor; reason?: null }
  /** Order lists (order-lists.ts): OCO, OTO, bracket; audited. */
  | { kind: "placeOrderList"; list: PlaceListRequest; actor: Actor; reason: string | null }
  | { kind: "cancelOrderList"; listId: string; actor: Actor; reason: string | null }
  /** Amend a working order's price and/or quantity (amend.ts): decimal strings; audited. */
  | { kind: "modifyOrder"; clientOrderId: string; quantity?: string; price?: string; actor: Actor; reason: string | null }
  /** Parent orders (engine/algos.ts): start, pause, resume, cancel; audited like every manual action. */
  | { kind: "startParent"; parent: ParentOrderRequest; actor: Actor; reason: string | null }
  | { kind: "pauseParent" | "resumeParent" | "cancelParent"; parentId: string; actor: Actor; reason: string | null }
  /** An admin lifts a protection lock (core/protection LockBook); audited. */
  | { kind: "liftProtectionLock"; lockId: string; actor: Actor; reason: string }
  /** Turn an arbitrage pair on or off (engine/arbitrage.ts); audited. */
  | { kind: "setArbitragePair"; pairId: string; enabled: boolean; actor: Actor; reason: string | null };

/** What a command did; a refusal is the one shape of core/errors.ts (`error: { code, message }`). */
export type CommandResult = { ok: true; message: string; data?: Record<string, unknown> } | { ok: false; error: Refusal; data?: Record<string, unknown> };

export interface EmergencyProgress {
  step: "halted" | "canceling" | "canceled" | "flattening" | "flattened" | "done";
  venue: string;
  ordersToCancel: number;
  ordersCanceled: number;
  positionsToFlatten: number;
  positionsFlattened: number;
  message: string;
  /** A desk with several venues: the same counts for each venue. */
  venues?: { venue: string; ordersToCancel: number; ordersCanceled: number; positionsToFlatten: number; positionsFlattened: number }[];
}

export interface EquityPoint {
  ts: number;
  equity: Decimal;
  realizedNet: Decimal;
  unrealized: Decimal;
  exposure: Decimal;
  /** Amounts in currencies with no rate into the desk's quote: left out of the figures above (accounting.ts). */
  unconverted?: UnconvertedAmounts[];
}

/** Domain events on the bus (the dashboard's live updates). */
export type DomainEvent =
  | { type: "order"; order: Order }
  | {
      type: "fill";
      clientOrderId: string;
      symbol: string;
      side: OrderSide;
      qty: Decimal;
      price: Decimal;
      fee: Decimal;
      tradeId: string;
      ts: number;
      late: boolean;
    }
  | { type: "position"; position: Position }
  | { type: "tradingState"; state: TradingState; reason: string; by: string }
  | { type: "breaker"; state: "OPEN" | "CLOSED"; reason: string; message: string; by: string }
  | { type: "emergency"; progress: EmergencyProgress }
  | { type: "equity"; point: EquityPoint }
  | { type: "signal"; id: string; symbol: string; status: "ACCEPTED" | "DENIED" | "FAILED"; code: string | null; message: string }
  | { type: "drift"; kind: string; subject: string; message: string }
  | { type: "alert"; level: "info" | "warn" | "error"; message: string }
  /** A protection rule fired (core/protection); notifications deliver it by default. */
  | { type: "protection"; firing: ProtectionFiring }
  /** Market prices moved (throttled by the runtime): screens showing marks and unrealized PnL refresh. */
  | { type: "marks"; marks: Record<string, number> };

// ---------------------------------------------------------------------------------------------------------------
// The engine's own records and options, shared by its rooms (context.ts and the room files).

/** A signal stamped longer than `maxAgeMs` before the engine's clock, or more than `maxAheadMs` after it, is refused. */
export interface SignalWindow {
  maxAgeMs: number;
  maxAheadMs: number;
}

/** Five minutes old at most (a model's signal is about the market now); 30 s ahead covers clock skew. */
export const DEFAULT_SIGNAL_WINDOW: SignalWindow = { maxAgeMs: 5 * 60_000, maxAheadMs: 30_000 };

/** The engine's timers are core's one Timers interface (core/clock.ts). */
export type { Timers as EngineTimers } from "../core/clock";

/**
 * Drift rows that resolve earlier ones (the drift table is append-only): `detail.resolves` names the drift
 * resolved, by id (`{ id }`) or by kind and the same subject (`{ kind }`).
 */
export const DRIFT_RESOLUTION_KINDS = ["ACKNOWLEDGED", "UNKNOWN_ORDER_ADOPTED", "UNKNOWN_ORDER_CANCELED", "UNKNOWN_ORDER_GONE", "IN_DOUBT_RESOLVED"] as const;

/** An order open at the venue that Bastion's books do not have (placed by hand on the exchange, or by another tool). */
export interface UnknownOrder {
  clientOrderId: string;
  venueOrderId: string | null;
  symbol: string;
  side: OrderSide;
  type: string;
  status: string;
  quantity: string;
  filledQty: string;
  price: string | null;
  triggerPrice: string | null;
  firstSeen: number;
  lastSeen: number;
  /** A cancel was sent at a trader's request and is not confirmed yet. */
  canceling: boolean;
  /** Where it was found (a desk with several venues reconciles each on its own). */
  venue?: string;
}

/** An emergency stop in progress: cancels (then the flatten) followed as the venue confirms them. */
export interface HaltRun {
  progress: EmergencyProgress;
  flatten: boolean;
  exitReason: string;
  phase: "canceling" | "flattening";
  cancelPending: Set<string>;
  filledInstead: number;
  flattenPending: Set<string>;
  /** False while the synchronous part runs (events counted, no transitions). */
  armed: boolean;
  timer: unknown;
  /** A desk with several venues: which venue each order and position of the run is at (the progress per venue counts them). */
  venueOf?: Map<string, string>;
  /** Venues whose positions are being flattened already (their cancels were all confirmed first). */
  flattenedVenues?: Set<string>;
}

export interface OrderRecord {
  order: Order;
  meta: OrderMeta;
}

export interface PositionRecord {
  position: Position;
  exit: ExitState | null;
  meta: PositionMeta & { stopLoss?: number | null; takeProfit?: number | null; entryOrderId?: string | null };
  /** Working exit order, so one price tick does not send the same exit twice. */
  exitOrderId: string | null;
  /**
   * A close waiting for the position's working exits to end (one exit at a time): sent when the last of them is
   * canceled or done, for what is then left (quantity null: all of it). Dropped by a cancel-all or a halt.
   */
  pendingClose?: { quantity: Decimal | null; reason: string } | null;
}

export interface Mark {
  last: number;
  bid?: number;
  ask?: number;
  ts: number;
  /** `last` as a Decimal, made on first use (most marks are replaced before anyone needs one). */
  lastDec?: Decimal;
}

export interface StoredAccounting {
  /** Decimals (the codec keeps them exact); strings in databases written before, which D() reads alike. */
  initialEquity: Decimal | string;
  /** Σ realizedPnlNet of closed positions. */
  closedRealizedNet: Decimal | string;
  /** Closed realized PnL of positions quoted in other currencies than the desk's, per currency (accounting.ts). */
  closedRealizedByCurrency?: Record<string, Decimal | string>;
}

/** What the store keeps in a position's opaque `exit` column: the exit rules' state and what the trade record needs later. */
export interface PositionBlob {
  state: ExitState | null;
  entryOrderId: string | null;
  stopLoss: number | null;
  takeProfit: number | null;
  /** A close waiting for working exits to end (absent in rows written before it existed). */
  pendingClose?: { quantity: string | null; reason: string } | null;
}

/** What the books expect one spot quote balance at the venue to be: the venue's figure at the last match, plus the fills' cash since. */
export interface QuoteExpectation {
  expected: Decimal;
  /** Fees booked since the last match: their currency may not be the quote (base or BNB), so they widen the tolerance. */
  fees: Decimal;
}

/** An audited manual action while it runs; `written` is what its audit row says once one committed. */
export interface AuditDraft {
  readonly actor: Actor;
  readonly action: string;
  readonly target: string | null;
  readonly reason: string | null;
  readonly params: unknown;
  written: CommandResult | null;
}
