/** The engine's vocabulary: signals in, commands in, domain events out. */
import type { Decimal } from "../core/money";
import type { Order, OrderSide, OrderType, TimeInForce } from "../core/orders/types";
import type { Position } from "../core/positions/book";
import type { ProtectionFiring } from "../core/protection/types";
import type { TradingState } from "../core/risk/trading-state";
import type { SignalAction } from "../db/store";

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
}

export type EngineCommand =
  /** `actor`: a person sent it (tRPC signals.submit); the signal is then audited like every manual action. */
  | { kind: "signal"; signal: Signal; source: string; actor?: Actor }
  | { kind: "manualOrder"; order: ManualOrderRequest; actor: Actor; reason: string | null }
  | { kind: "closePosition"; positionId: string; fraction?: number; quantity?: string; actor: Actor; reason: string | null }
  /** `exitReason` (system only, e.g. "end_of_data" in backtests) overrides the default "manual". */
  | { kind: "closeAll"; actor: Actor; reason: string | null; exitReason?: string }
  | { kind: "cancelOrder"; clientOrderId: string; actor: Actor; reason: string | null }
  | { kind: "cancelAll"; symbol?: string; actor: Actor; reason: string | null }
  | { kind: "pause"; actor: Actor; reason: string | null }
  | { kind: "resume"; actor: Actor; reason: string | null }
  | { kind: "emergencyStop"; flatten: boolean; actor: Actor; reason: string }
  | { kind: "tripBreaker"; actor: Actor; reason: string }
  | { kind: "resetBreaker"; actor: Actor; reason: string; force?: boolean }
  | { kind: "setExits"; positionId: string; stopLoss?: number | null; takeProfit?: number | null; actor: Actor; reason: string | null };

/** What a command did; refusals carry a code and a sentence. */
export type CommandResult =
  { ok: true; message: string; data?: Record<string, unknown> } | { ok: false; code: string; message: string; data?: Record<string, unknown> };

export interface EmergencyProgress {
  step: "halted" | "canceling" | "canceled" | "flattening" | "flattened" | "done";
  venue: string;
  ordersToCancel: number;
  ordersCanceled: number;
  positionsToFlatten: number;
  positionsFlattened: number;
  message: string;
}

export interface EquityPoint {
  ts: number;
  equity: Decimal;
  realizedNet: Decimal;
  unrealized: Decimal;
  exposure: Decimal;
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
