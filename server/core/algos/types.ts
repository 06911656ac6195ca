/**
 * The model of parent orders (TWAP, VWAP, iceberg, POV, chaser): what a caller asks for, the serializable state the
 * parent state machine keeps, the events it reacts to and the intents it returns. Plain data only: the engine does the
 * I/O, and every child it places from a `placeChild` intent still passes the risk gate (DESIGN.md invariant 5).
 */
import { type Decimal } from "../money";
import { type OrderSide } from "../orders/types";
import { type VolumeProfile } from "./volume-profile";

export const PARENT_STATUSES = ["working", "paused", "completing", "done", "cancelled", "failed"] as const;
export type ParentStatus = (typeof PARENT_STATUSES)[number];

/** What happens when the horizon ends (or a chaser runs out of re-prices) with quantity left. */
export type EndBehaviour = "cross" | "cancel" | "leave";

/** After a crash: carry on where the parent was, or cancel what is working and stop. */
export type RestartPolicy = "resume" | "stop";

/** Time-weighted: `horizonMs` cut into slices every `intervalMs`, sizes and times randomized within bounds. */
export interface TwapConfig {
  kind: "twap";
  horizonMs: number;
  intervalMs: number;
  /** 0..1: each slice's weight is 1 ± this (before normalizing), so sizes vary but still sum to the target. */
  sizeJitter: number;
  /** 0..1: each slice is sent up to this share of an interval after its interval starts (never into the next one). */
  timeJitter: number;
}

/** Volume-weighted: slices every `intervalMs` sized by the share of the day's volume the profile expects then. */
export interface VwapConfig {
  kind: "vwap";
  horizonMs: number;
  intervalMs: number;
  profile: VolumeProfile;
}

/** A resting limit at the parent's limit price showing `displayQty` at a time, refilled as it fills. */
export interface IcebergConfig {
  kind: "iceberg";
  displayQty: Decimal;
  /** 0..1: each refill shows displayQty × (1 ± this), rounded to the step (hides the pattern); 0 = fixed. */
  displayJitter: number;
  /** Optional end time after the start; null = works until filled or cancelled. */
  horizonMs: number | null;
}

/** Percentage of volume: executes `rate` of the traded volume observed since the start, at most `maxSliceQty` a child. */
export interface PovConfig {
  kind: "pov";
  rate: Decimal;
  maxSliceQty: Decimal;
  horizonMs: number | null;
}

/**
 * A limit entry chased toward the touch: placed at `entryPrice` (or the touch), re-priced to the touch after
 * `timeoutMs` unfilled up to `retryAttempts` times (desk settings `order_timeout_seconds`, `retry_attempts`); then the
 * parent's end behaviour applies ("cross" takes the remainder, "cancel"/"leave" as for the other algorithms).
 */
export interface ChaserConfig {
  kind: "chaser";
  entryPrice: Decimal | null;
  timeoutMs: number;
  retryAttempts: number;
}

export type AlgoConfig = TwapConfig | VwapConfig | IcebergConfig | PovConfig | ChaserConfig;
export type AlgoKind = AlgoConfig["kind"];

export interface ParentSpec {
  /** Also the stem of the children's client order ids (`<id>.<n>`), so keep it short (≤ 28 characters). */
  id: string;
  symbol: string;
  side: OrderSide;
  targetQty: Decimal;
  /** The limit-price guard: no child buys above it / sells below it. Required for an iceberg. */
  limitPrice: Decimal | null;
  /** The mark when the parent was asked for: the benchmark of its implementation shortfall. */
  arrivalPrice: Decimal;
  startAt: number;
  /** Seeds the randomized sizes and times: the same seed plans the same slices. */
  seed: number;
  algo: AlgoConfig;
  endBehaviour: EndBehaviour;
  restartPolicy: RestartPolicy;
  /** Consecutive child rejections (gate or venue) after which the parent fails. */
  maxRejections: number;
}

/**
 * A child's life as the parent sees it. `sent` is the state that makes restarts safe: the intent was journalled with
 * the parent state but no answer came yet, so after a crash it becomes `in_doubt` and is looked up, never resent.
 */
export type ChildStatus = "sent" | "in_doubt" | "working" | "cancelling" | "filled" | "cancelled" | "rejected";

export const LIVE_CHILD_STATUSES: ReadonlySet<ChildStatus> = new Set(["sent", "in_doubt", "working", "cancelling"]);

export interface ChildOrderSpec {
  clientOrderId: string;
  parentId: string;
  symbol: string;
  side: OrderSide;
  type: "MARKET" | "LIMIT";
  timeInForce: "GTC" | "IOC";
  qty: Decimal;
  /** Limit price; null for a market child. */
  price: Decimal | null;
  /** Why this child exists, e.g. "slice 3/12", "refill", "re-price 2/3", "cross remainder". */
  purpose: string;
}

export interface ChildRecord extends ChildOrderSpec {
  slice: number;
  status: ChildStatus;
  filledQty: Decimal;
  /** Σ fill qty × price, for the average price. */
  filledNotional: Decimal;
  fees: Decimal;
  /** Trade ids already booked: a fill is counted once. */
  tradeIds: string[];
  placedAt: number;
  reason: string | null;
}

/** TWAP and VWAP: the planned slices (times and exact quantities), fixed at the start. */
export interface SchedulePlan {
  kind: "schedule";
  slices: { at: number; qty: Decimal }[];
  /** Index of the next slice not yet taken. */
  next: number;
}

export interface IcebergPlan {
  kind: "iceberg";
  refills: number;
}

export interface PovPlan {
  kind: "pov";
  /** Traded volume observed since the start (market events). */
  observedVolume: Decimal;
}

export interface ChaserPlan {
  kind: "chaser";
  /** Children placed so far: the first at the entry price, each later one a re-price. */
  placements: number;
}

export type PlanState = SchedulePlan | IcebergPlan | PovPlan | ChaserPlan;

export interface ParentState {
  /** Bumped when the layout changes, so an old serialized state is refused instead of misread. */
  version: 1;
  spec: ParentSpec;
  status: ParentStatus;
  /** Why it is paused, completing or finished. */
  reason: string | null;
  /** The horizon end (or null: none). */
  endAt: number | null;
  children: ChildRecord[];
  filledQty: Decimal;
  filledNotional: Decimal;
  fees: Decimal;
  /** The last best bid/ask seen (market events), for guards, chasing and min-notional checks. */
  bid: Decimal | null;
  ask: Decimal | null;
  nextTimerAt: number | null;
  rngState: number;
  consecutiveRejections: number;
  plan: PlanState;
  /** In `completing`: take the remainder with a marketable child once nothing is live (end behaviour "cross"). */
  crossPending: boolean;
  /** In `completing`: the status and reason to finish with once nothing is live. */
  finishAs: { status: "done" | "cancelled" | "failed"; reason: string } | null;
  updatedAt: number;
}

export type ParentEvent =
  | { type: "timer"; at: number }
  /** The venue accepted the child ("child placed"). */
  | { type: "childAccepted"; clientOrderId: string }
  /** A fill of a child, partial or full (the parent tells which from the quantities). */
  | { type: "childFilled"; clientOrderId: string; tradeId: string; qty: Decimal; price: Decimal; fee?: Decimal }
  /** The gate, the venue or a lookup refused it (or a lookup found it was never placed). */
  | { type: "childRejected"; clientOrderId: string; reason: string }
  /** Canceled or expired at the venue (an IOC's unfilled rest included). */
  | { type: "childCancelled"; clientOrderId: string; reason?: string }
  /** Market observations: the touch and the volume traded since the previous market event. */
  | { type: "market"; bid?: Decimal; ask?: Decimal; tradedVolume?: Decimal }
  | { type: "pause"; reason?: string }
  | { type: "resume" }
  | { type: "cancel"; reason?: string }
  | { type: "halt"; reason?: string }
  /** The engine restarted with this state from its store: timers were lost, unanswered children are in doubt. */
  | { type: "restart" };

export type ParentIntent =
  | { type: "placeChild"; child: ChildOrderSpec }
  | { type: "cancelChild"; clientOrderId: string; reason: string }
  /** Ask the venue what became of a child sent before a crash; answer with child events. */
  | { type: "reconcileChild"; clientOrderId: string }
  | { type: "scheduleTimer"; at: number }
  | { type: "finish"; status: "done" | "cancelled" | "failed"; reason: string };

export interface StepResult {
  state: ParentState;
  intents: ParentIntent[];
  /** Set when the event changed nothing and why (a stale timer, an unknown child, a duplicate fill). */
  ignored?: string;
}
