/**
 * The slice planners: what each algorithm wants next, given the parent's state and the time. A planner only decides
 * (place a child, cancel the live one, wait, or declare its plan over); the parent state machine (parent.ts) keeps
 * the books, guards the one-live-child rule and emits the intents. Randomness comes from the seeded Rng whose state
 * lives in the parent state, so a plan is the same for the same seed, and after a restart.
 */
import { type Instrument } from "../instrument";
import { add, cmp, D, Decimal, isPositive, roundToStep, sub, sumDec, ZERO } from "../money";
import { seededRng } from "../rng";
import { sliceQty, splitQuantity, stepDown } from "./sizing";
import { profileShare } from "./volume-profile";
import {
  LIVE_CHILD_STATUSES,
  type ChaserConfig,
  type ChildRecord,
  type IcebergConfig,
  type ParentSpec,
  type ParentState,
  type PlanState,
  type PovConfig,
  type SchedulePlan,
  type TwapConfig,
  type VwapConfig,
} from "./types";

export type PlannerDecision =
  | {
      kind: "place";
      qty: Decimal;
      type: "MARKET" | "LIMIT";
      price: Decimal | null;
      timeInForce: "GTC" | "IOC";
      purpose: string;
      plan: PlanState;
      rngState?: number;
    }
  | { kind: "cancelLive"; reason: string }
  /** Nothing now; wake at `wakeAt` (null: on the next event). A changed `plan` (a skipped slice) is kept. */
  | { kind: "wait"; wakeAt: number | null; plan?: PlanState; note?: string }
  /** The plan is over with quantity left: the parent's end behaviour applies. */
  | { kind: "end"; reason: string };

/** The child still at the venue (or on its way, or in doubt), if any: a parent has at most one. */
export function liveChild(state: ParentState): ChildRecord | undefined {
  return state.children.find((child) => LIVE_CHILD_STATUSES.has(child.status));
}

/** Target − filled − what the live child may still fill; never below zero. */
export function remainingQty(state: ParentState): Decimal {
  let open = ZERO;
  const live = liveChild(state);
  if (live) open = Decimal.max(ZERO, sub(live.qty, live.filledQty));
  const left = sub(sub(state.spec.targetQty, state.filledQty), open);
  return isPositive(left) ? left : ZERO;
}

/** Target − filled (ignoring what is working). */
export function unfilledQty(state: ParentState): Decimal {
  const left = sub(state.spec.targetQty, state.filledQty);
  return isPositive(left) ? left : ZERO;
}

/** True when `price` is beyond the guard: above it for a buy, below it for a sell. */
export function isBeyondGuard(spec: ParentSpec, price: Decimal): boolean {
  if (spec.limitPrice === null) return false;
  return spec.side === "BUY" ? cmp(price, spec.limitPrice) > 0 : cmp(price, spec.limitPrice) < 0;
}

/** The touch a marketable child would take: the ask for a buy, the bid for a sell. */
function farTouch(state: ParentState): Decimal | null {
  return state.spec.side === "BUY" ? state.ask : state.bid;
}

/** The touch a passive child joins: the bid for a buy, the ask for a sell. */
function nearTouch(state: ParentState): Decimal | null {
  return state.spec.side === "BUY" ? state.bid : state.ask;
}

/** The price a marketable child's minimum notional is judged at: the guard, else the far touch, else the arrival. */
export function referencePrice(state: ParentState): Decimal {
  return state.spec.limitPrice ?? farTouch(state) ?? state.spec.arrivalPrice;
}

/** A child that takes liquidity: a limit IOC at the guard when there is one (never beyond it), else a market IOC. */
export function marketable(state: ParentState): { type: "MARKET" | "LIMIT"; price: Decimal | null; timeInForce: "IOC" } {
  return state.spec.limitPrice === null
    ? { type: "MARKET", price: null, timeInForce: "IOC" }
    : { type: "LIMIT", price: state.spec.limitPrice, timeInForce: "IOC" };
}

/** A random factor in [1 − spread, 1 + spread], advancing the parent's Rng state. Floats: a shape, not money. */
function jitter(rngState: number, spread: number): { factor: number; rngState: number } {
  if (spread <= 0) return { factor: 1, rngState };
  const rng = seededRng(rngState);
  const u = rng.next();
  return { factor: 1 + spread * (2 * u - 1), rngState: rng.getState() };
}

/** The TWAP schedule: one slice per interval, each sent at a random point in the first `timeJitter` of its interval. */
export function twapSchedule(spec: ParentSpec, config: TwapConfig, instrument: Instrument, rngState: number): { plan: SchedulePlan; rngState: number } {
  const count = Math.max(1, Math.ceil(config.horizonMs / config.intervalMs));
  const rng = seededRng(rngState);
  const times: number[] = [];
  const weights: number[] = [];
  for (let k = 0; k < count; k++) {
    const intervalStart = spec.startAt + k * config.intervalMs;
    const intervalEnd = Math.min(spec.startAt + (k + 1) * config.intervalMs, spec.startAt + config.horizonMs);
    const offset = Math.floor(rng.next() * config.timeJitter * (intervalEnd - intervalStart));
    times.push(Math.min(intervalStart + offset, intervalEnd - 1));
    weights.push(1 + config.sizeJitter * (2 * rng.next() - 1));
  }
  const pieces = splitQuantity(instrument, spec.targetQty, weights, spec.limitPrice ?? spec.arrivalPrice);
  return { plan: { kind: "schedule", slices: pieces.map((p) => ({ at: times[p.index]!, qty: p.qty })), next: 0 }, rngState: rng.getState() };
}

/** The VWAP schedule: one slice per interval, sized by the profile's share of volume in that interval. */
export function vwapSchedule(spec: ParentSpec, config: VwapConfig, instrument: Instrument): SchedulePlan {
  const count = Math.max(1, Math.ceil(config.horizonMs / config.intervalMs));
  const end = spec.startAt + config.horizonMs;
  const times: number[] = [];
  const weights: number[] = [];
  for (let k = 0; k < count; k++) {
    const from = spec.startAt + k * config.intervalMs;
    times.push(from);
    weights.push(profileShare(config.profile, from, Math.min(from + config.intervalMs, end)));
  }
  const pieces = splitQuantity(instrument, spec.targetQty, weights, spec.limitPrice ?? spec.arrivalPrice);
  return { kind: "schedule", slices: pieces.map((p) => ({ at: times[p.index]!, qty: p.qty })), next: 0 };
}

/**
 * TWAP and VWAP. A slice whose time has come is sent as a marketable child of what the schedule says should be done
 * by then minus what is filled (so an unfilled or skipped slice rolls into the next; overdue slices go out as one).
 * The last slice takes all that is left. A live child still working when the next slice is due is canceled first.
 * When the touch is beyond the guard the slice is skipped (and rolls).
 */
function decideSchedule(state: ParentState, plan: SchedulePlan, now: number, instrument: Instrument): PlannerDecision {
  const live = liveChild(state);
  const next = plan.slices[plan.next];
  if (live) {
    if (live.status === "working" && next && now >= next.at)
      return { kind: "cancelLive", reason: `slice ${plan.next + 1} is due and the previous one is still working` };
    return { kind: "wait", wakeAt: next?.at ?? null };
  }
  if (!next) return { kind: "end", reason: `all ${plan.slices.length} slices were sent` };
  if (now < next.at) return { kind: "wait", wakeAt: next.at };
  let last = plan.next;
  while (last + 1 < plan.slices.length && plan.slices[last + 1]!.at <= now) last++;
  const advanced: SchedulePlan = { ...plan, next: last + 1 };
  const following = plan.slices[last + 1]?.at ?? null;
  const label = last === plan.next ? `slice ${last + 1}/${plan.slices.length}` : `slices ${plan.next + 1}-${last + 1}/${plan.slices.length}`;
  const touch = farTouch(state);
  if (touch !== null && isBeyondGuard(state.spec, touch)) {
    return {
      kind: "wait",
      wakeAt: following,
      plan: advanced,
      note: `${label} skipped: the touch ${touch.toString()} is beyond the limit ${state.spec.limitPrice!.toString()}`,
    };
  }
  const unfilled = unfilledQty(state);
  const isLast = last === plan.slices.length - 1;
  const scheduled = sumDec(plan.slices.slice(0, last + 1).map((s) => s.qty));
  const due = isLast ? unfilled : sub(scheduled, state.filledQty);
  const qty = isPositive(due) ? sliceQty(instrument, due, unfilled, referencePrice(state)) : ZERO;
  if (!isPositive(qty)) return { kind: "wait", wakeAt: following, plan: advanced, note: `${label}: nothing due above the venue minimum` };
  return { kind: "place", qty, ...marketable(state), purpose: label, plan: advanced };
}

/** Iceberg: one resting limit at the parent's price showing (about) the display quantity, refilled once it is done. */
function decideIceberg(state: ParentState, config: IcebergConfig, instrument: Instrument): PlannerDecision {
  if (liveChild(state)) return { kind: "wait", wakeAt: null };
  const plan = state.plan.kind === "iceberg" ? state.plan : { kind: "iceberg" as const, refills: 0 };
  const price = state.spec.limitPrice!;
  const { factor, rngState } = jitter(state.rngState, config.displayJitter);
  // Jittered display, never below one step: the factor only moves it around the configured size.
  const shown = Decimal.max(instrument.qtyStep, roundToStep(config.displayQty.times(D(factor)), instrument.qtyStep, "down"));
  const qty = sliceQty(instrument, shown, unfilledQty(state), price);
  if (!isPositive(qty)) return { kind: "end", reason: `the remainder ${unfilledQty(state).toString()} is below the venue minimum` };
  return {
    kind: "place",
    qty,
    type: "LIMIT",
    price,
    timeInForce: "GTC",
    purpose: plan.refills === 0 ? "display" : `refill ${plan.refills}`,
    plan: { kind: "iceberg", refills: plan.refills + 1 },
    rngState,
  };
}

/** POV: whenever nothing is live, takes rate × observed volume − filled (at most the cap) with a marketable child. */
function decidePov(state: ParentState, config: PovConfig, instrument: Instrument): PlannerDecision {
  if (liveChild(state)) return { kind: "wait", wakeAt: null };
  const plan = state.plan.kind === "pov" ? state.plan : { kind: "pov" as const, observedVolume: ZERO };
  const touch = farTouch(state);
  if (touch !== null && isBeyondGuard(state.spec, touch)) return { kind: "wait", wakeAt: null, note: "the touch is beyond the limit" };
  const allowed = sub(plan.observedVolume.times(config.rate), state.filledQty);
  if (!isPositive(allowed)) return { kind: "wait", wakeAt: null };
  const wanted = Decimal.min(allowed, config.maxSliceQty);
  const qty = sliceQty(instrument, stepDown(instrument, wanted), unfilledQty(state), referencePrice(state));
  if (!isPositive(qty)) return { kind: "wait", wakeAt: null };
  return { kind: "place", qty, ...marketable(state), purpose: `pov ${config.rate.times(100).toString()}% of ${plan.observedVolume.toString()}`, plan };
}

/**
 * Chaser: a limit at the entry price (or the near touch), re-priced to the near touch each time it stays unfilled
 * for the timeout, up to `retryAttempts` re-prices; then the plan is over (the end behaviour crosses or cancels).
 * Never priced beyond the guard; buys round down and sells up to the tick (the passive side).
 */
function decideChaser(state: ParentState, config: ChaserConfig, now: number, instrument: Instrument): PlannerDecision {
  const plan = state.plan.kind === "chaser" ? state.plan : { kind: "chaser" as const, placements: 0 };
  const repricesUsed = Math.max(0, plan.placements - 1);
  const live = liveChild(state);
  if (live) {
    const deadline = live.placedAt + config.timeoutMs;
    if (live.status === "working" && now >= deadline) {
      if (repricesUsed < config.retryAttempts)
        return { kind: "cancelLive", reason: `unfilled after ${config.timeoutMs / 1000} s: re-price ${repricesUsed + 1}/${config.retryAttempts}` };
      return { kind: "end", reason: `unfilled after ${config.retryAttempts} re-prices` };
    }
    return { kind: "wait", wakeAt: live.status === "working" ? deadline : null };
  }
  if (plan.placements > config.retryAttempts) return { kind: "end", reason: `unfilled after ${config.retryAttempts} re-prices` };
  const touch = nearTouch(state);
  let price = plan.placements === 0 ? (config.entryPrice ?? touch) : (touch ?? config.entryPrice);
  if (price === null) return { kind: "wait", wakeAt: null, note: "no touch to price at yet" };
  if (state.spec.limitPrice !== null && isBeyondGuard(state.spec, price)) price = state.spec.limitPrice;
  price = roundToStep(price, instrument.priceTick, state.spec.side === "BUY" ? "down" : "up");
  const qty = sliceQty(instrument, unfilledQty(state), unfilledQty(state), price);
  if (!isPositive(qty)) return { kind: "end", reason: `the remainder ${unfilledQty(state).toString()} is below the venue minimum` };
  return {
    kind: "place",
    qty,
    type: "LIMIT",
    price,
    timeInForce: "GTC",
    purpose: plan.placements === 0 ? "entry" : `re-price ${plan.placements}/${config.retryAttempts}`,
    plan: { kind: "chaser", placements: plan.placements + 1 },
  };
}

/** What the parent's algorithm wants now. Only called while the parent is working. */
export function decide(state: ParentState, now: number, instrument: Instrument): PlannerDecision {
  const { algo } = state.spec;
  switch (algo.kind) {
    case "twap":
    case "vwap":
      return state.plan.kind === "schedule" ? decideSchedule(state, state.plan, now, instrument) : { kind: "end", reason: "no schedule" };
    case "iceberg":
      return decideIceberg(state, algo, instrument);
    case "pov":
      return decidePov(state, algo, instrument);
    case "chaser":
      return decideChaser(state, algo, now, instrument);
  }
}

/** Adds observed traded volume to a POV plan (other plans ignore it). */
export function observeVolume(plan: PlanState, volume: Decimal): PlanState {
  return plan.kind === "pov" && isPositive(volume) ? { ...plan, observedVolume: add(plan.observedVolume, volume) } : plan;
}
