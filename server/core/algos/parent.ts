/**
 * The parent-order state machine shared by every algorithm: `stepParent(state, event, ctx) → { state, intents }`.
 * Pure: it never mutates its input, never throws for a domain event, and reads time only from `ctx.now`.
 *
 * Rules it keeps for every algorithm:
 * - at most one live child; a new one is planned only once the previous one is done (filled, canceled, rejected);
 * - a child is recorded as `sent` in the same state that carries its `placeChild` intent, so the engine journals
 *   both together; after a restart a `sent` child is `in_doubt` and looked up (`reconcileChild`), never resent, and
 *   child ids are `<parent id>.<n>`, the same on every replay of the intent;
 * - cancel and pause cancel the live child first; a halt cancels it and finishes the parent at once;
 * - fills are booked once per trade id, also after the parent or the child has ended (they are real executions);
 * - every child is a new order for the engine, and passes the risk gate like any other (a refusal comes back as
 *   `childRejected`; `maxRejections` in a row fail the parent).
 */
import { type Instrument } from "../instrument";
import { add, cmp, Decimal, isPositive, ZERO } from "../money";
import { isValidClientOrderId } from "../ids";
import { err, ok, type Result } from "../errors";
import { decide, liveChild, marketable, observeVolume, referencePrice, twapSchedule, unfilledQty, vwapSchedule } from "./planners";
import { isOnStep, meetsMinimums, stepDown } from "./sizing";
import { implementationShortfallBps } from "./shortfall";
import {
  LIVE_CHILD_STATUSES,
  type ChildRecord,
  type ParentEvent,
  type ParentIntent,
  type ParentSpec,
  type ParentState,
  type ParentStatus,
  type PlanState,
  type StepResult,
} from "./types";

export interface ParentContext {
  /** Now, from the injected clock (ms). */
  now: number;
  instrument: Instrument;
  /** At the start only: the touch when the parent is asked for, so its first child already respects the guard. */
  touch?: { bid: Decimal | null; ask: Decimal | null };
}

export type ParentSpecCode = "INVALID_PARENT";

const TERMINAL: ReadonlySet<ParentStatus> = new Set(["done", "cancelled", "failed"]);

export function isParentTerminal(state: ParentState): boolean {
  return TERMINAL.has(state.status);
}

function invalid(message: string): { ok: false; error: { code: "INVALID_PARENT"; message: string } } {
  return err("INVALID_PARENT", message);
}

/** Checks a spec against its instrument: a refusal says what to change. */
export function validateParentSpec(spec: ParentSpec, instrument: Instrument): Result<true, ParentSpecCode> {
  if (spec.id.length > 28 || !isValidClientOrderId(`${spec.id}.9999`))
    return invalid(`The parent id "${spec.id}" must be ≤ 28 characters of A-Z a-z 0-9 . _ : / -.`);
  if (spec.symbol !== instrument.symbol) return invalid(`The parent is for ${spec.symbol} but the instrument is ${instrument.symbol}.`);
  if (!isPositive(spec.targetQty) || !isOnStep(instrument, spec.targetQty)) {
    return invalid(`The target quantity ${spec.targetQty.toString()} must be above zero and a multiple of the step ${instrument.qtyStep.toString()}.`);
  }
  const price = spec.limitPrice ?? spec.arrivalPrice;
  if (!isPositive(spec.arrivalPrice)) return invalid("The arrival price must be above zero.");
  if (spec.limitPrice !== null && !isPositive(spec.limitPrice)) return invalid("The limit price must be above zero.");
  if (!meetsMinimums(instrument, spec.targetQty, price)) return invalid(`The target quantity ${spec.targetQty.toString()} is below the venue minimum.`);
  if (!Number.isInteger(spec.maxRejections) || spec.maxRejections < 1) return invalid("maxRejections must be a whole number of at least 1.");
  const algo = spec.algo;
  const fraction = (x: number): boolean => Number.isFinite(x) && x >= 0 && x <= 1;
  switch (algo.kind) {
    case "twap":
    case "vwap":
      if (!(algo.horizonMs > 0) || !(algo.intervalMs > 0) || algo.intervalMs > algo.horizonMs) {
        return invalid("The horizon and the interval must be above zero, and the interval no longer than the horizon.");
      }
      if (algo.horizonMs / algo.intervalMs > 10_000) return invalid("At most 10,000 slices: lengthen the interval.");
      if (algo.kind === "twap" && (!fraction(algo.sizeJitter) || !fraction(algo.timeJitter)))
        return invalid("The size and time jitters must be between 0 and 1.");
      break;
    case "iceberg":
      if (spec.limitPrice === null) return invalid("An iceberg rests at a limit price: give one.");
      if (!meetsMinimums(instrument, stepDown(instrument, algo.displayQty), spec.limitPrice))
        return invalid("The display quantity is below the venue minimum.");
      if (!fraction(algo.displayJitter) || algo.displayJitter >= 1) return invalid("The display jitter must be at least 0 and below 1.");
      if (algo.horizonMs !== null && !(algo.horizonMs > 0)) return invalid("The horizon must be above zero.");
      break;
    case "pov":
      if (!isPositive(algo.rate) || cmp(algo.rate, new Decimal(1)) > 0) return invalid("The participation rate must be above 0 and at most 1.");
      if (!isPositive(algo.maxSliceQty)) return invalid("The maximum slice must be above zero.");
      if (algo.horizonMs !== null && !(algo.horizonMs > 0)) return invalid("The horizon must be above zero.");
      break;
    case "chaser":
      if (!(algo.timeoutMs > 0)) return invalid("The order timeout must be above zero.");
      if (!Number.isInteger(algo.retryAttempts) || algo.retryAttempts < 0) return invalid("The retry attempts must be a whole number, 0 or more.");
      if (algo.entryPrice !== null && !isPositive(algo.entryPrice)) return invalid("The entry price must be above zero.");
      break;
  }
  return ok(true);
}

function horizonOf(spec: ParentSpec): number | null {
  const algo = spec.algo;
  if (algo.kind === "chaser") return null;
  return algo.horizonMs === null ? null : spec.startAt + algo.horizonMs;
}

/** Creates the parent and runs its first step (usually the first slice or its timer). */
export function startParent(spec: ParentSpec, ctx: ParentContext): Result<StepResult, ParentSpecCode> {
  const valid = validateParentSpec(spec, ctx.instrument);
  if (!valid.ok) return valid;
  let rngState = spec.seed >>> 0;
  let plan: PlanState;
  switch (spec.algo.kind) {
    case "twap": {
      const built = twapSchedule(spec, spec.algo, ctx.instrument, rngState);
      plan = built.plan;
      rngState = built.rngState;
      break;
    }
    case "vwap":
      plan = vwapSchedule(spec, spec.algo, ctx.instrument);
      break;
    case "iceberg":
      plan = { kind: "iceberg", refills: 0 };
      break;
    case "pov":
      plan = { kind: "pov", observedVolume: ZERO };
      break;
    case "chaser":
      plan = { kind: "chaser", placements: 0 };
      break;
  }
  const state: ParentState = {
    version: 1,
    spec,
    status: "working",
    reason: null,
    endAt: horizonOf(spec),
    children: [],
    filledQty: ZERO,
    filledNotional: ZERO,
    fees: ZERO,
    bid: ctx.touch?.bid ?? null,
    ask: ctx.touch?.ask ?? null,
    nextTimerAt: null,
    rngState,
    consecutiveRejections: 0,
    plan,
    crossPending: false,
    finishAs: null,
    updatedAt: ctx.now,
  };
  return ok(drive(state, [], ctx));
}

/** A working copy: the children array and the child being changed are copied, the input is never mutated. */
function copy(state: ParentState, now: number): ParentState {
  return { ...state, children: [...state.children], updatedAt: Math.max(state.updatedAt, now) };
}

function replaceChild(state: ParentState, child: ChildRecord): void {
  const index = state.children.findIndex((c) => c.clientOrderId === child.clientOrderId);
  state.children[index] = child;
}

function finish(state: ParentState, intents: ParentIntent[], status: "done" | "cancelled" | "failed", reason: string): StepResult {
  state.status = status;
  state.reason = reason;
  state.finishAs = null;
  state.crossPending = false;
  state.nextTimerAt = null;
  intents.push({ type: "finish", status, reason });
  return { state, intents };
}

/** Cancels every live child not already being canceled (the intents come before anything else the step emits). */
function cancelLiveChildren(state: ParentState, intents: ParentIntent[], reason: string): void {
  for (const child of state.children) {
    if (LIVE_CHILD_STATUSES.has(child.status) && child.status !== "cancelling") {
      replaceChild(state, { ...child, status: "cancelling" });
      intents.push({ type: "cancelChild", clientOrderId: child.clientOrderId, reason });
    }
  }
}

/** Stop planning and wind down: cancel what is live (unless "leave"), then cross, or finish with `finishAs`. */
function beginEnd(state: ParentState, intents: ParentIntent[], reason: string): void {
  const behaviour = state.spec.endBehaviour;
  if (behaviour !== "leave") cancelLiveChildren(state, intents, reason);
  state.status = "completing";
  state.reason = reason;
  state.crossPending = behaviour === "cross";
  const filled = `${state.filledQty.toString()} of ${state.spec.targetQty.toString()} filled`;
  state.finishAs = {
    status: "done",
    reason: `${reason}; ${behaviour === "cross" ? "remainder crossed" : behaviour === "cancel" ? "remainder cancelled" : "last child left working"} (${filled})`,
  };
}

function beginCancel(state: ParentState, intents: ParentIntent[], status: "cancelled" | "failed", reason: string): void {
  cancelLiveChildren(state, intents, reason);
  state.status = "completing";
  state.reason = reason;
  state.crossPending = false;
  state.finishAs = { status, reason };
}

function placeChild(
  state: ParentState,
  intents: ParentIntent[],
  now: number,
  order: { qty: Decimal; type: "MARKET" | "LIMIT"; price: Decimal | null; timeInForce: "GTC" | "IOC"; purpose: string },
): void {
  const slice = state.children.length + 1;
  const child: ChildRecord = {
    clientOrderId: `${state.spec.id}.${slice}`,
    parentId: state.spec.id,
    symbol: state.spec.symbol,
    side: state.spec.side,
    type: order.type,
    timeInForce: order.timeInForce,
    qty: order.qty,
    price: order.price,
    purpose: order.purpose,
    slice,
    status: "sent",
    filledQty: ZERO,
    filledNotional: ZERO,
    fees: ZERO,
    tradeIds: [],
    placedAt: now,
    reason: null,
  };
  state.children.push(child);
  const { slice: _slice, status: _status, filledQty: _f, filledNotional: _n, fees: _fees, tradeIds: _t, placedAt: _p, reason: _r, ...spec } = child;
  intents.push({ type: "placeChild", child: spec });
}

/** Arms the single timer at `wakeAt` (or disarms it): a timer that no longer matches `nextTimerAt` is stale when it fires. */
function arm(state: ParentState, intents: ParentIntent[], wakeAt: number | null): void {
  if (wakeAt === state.nextTimerAt) return;
  state.nextTimerAt = wakeAt;
  if (wakeAt !== null) intents.push({ type: "scheduleTimer", at: wakeAt });
}

/** After any event: finish, wind down, or ask the planner for the next child, and keep the timer armed. */
function drive(state: ParentState, intents: ParentIntent[], ctx: ParentContext): StepResult {
  const { now, instrument } = ctx;
  if (isParentTerminal(state) || state.status === "paused") {
    if (state.status === "paused") arm(state, intents, null);
    return { state, intents };
  }
  const live = liveChild(state);
  if (!isPositive(unfilledQty(state))) {
    if (live) cancelLiveChildren(state, intents, "the parent is filled");
    return finish(state, intents, "done", `filled ${state.filledQty.toString()}`);
  }
  if (state.status === "working" && state.endAt !== null && now >= state.endAt) beginEnd(state, intents, "the horizon ended");
  if (state.status === "working") {
    // Skipped slices change the plan without placing; loop until the planner places, waits for later, or ends.
    for (let rounds = 0; rounds < 10_001; rounds++) {
      const decision = decide(state, now, instrument);
      if (decision.kind === "place") {
        state.plan = decision.plan;
        if (decision.rngState !== undefined) state.rngState = decision.rngState;
        placeChild(state, intents, now, decision);
        arm(state, intents, nextWake(state, now, instrument));
        return { state, intents };
      }
      if (decision.kind === "cancelLive") {
        cancelLiveChildren(state, intents, decision.reason);
        arm(state, intents, nextTime(now, state.endAt));
        return { state, intents };
      }
      if (decision.kind === "end") {
        beginEnd(state, intents, decision.reason);
        break;
      }
      if (decision.plan) state.plan = decision.plan;
      if (decision.plan && (decision.wakeAt === null || decision.wakeAt <= now)) continue;
      arm(state, intents, nextTime(now, decision.wakeAt, state.endAt));
      return { state, intents };
    }
  }
  // completing
  if (liveChild(state)) {
    arm(state, intents, null);
    return { state, intents };
  }
  if (state.crossPending) {
    state.crossPending = false;
    const remaining = stepDown(instrument, unfilledQty(state));
    const price = referencePrice(state);
    if (meetsMinimums(instrument, remaining, price)) {
      placeChild(state, intents, now, { qty: remaining, ...marketable(state), purpose: "cross remainder" });
      arm(state, intents, null);
      return { state, intents };
    }
    if (state.finishAs) state.finishAs = { ...state.finishAs, reason: `${state.finishAs.reason}; the remainder is below the venue minimum` };
  }
  const outcome = state.finishAs ?? { status: "done" as const, reason: state.reason ?? "ended" };
  return finish(state, intents, outcome.status, outcome.reason);
}

/** The earliest of the times still ahead of `now` (one already past is waited for by an event, not a timer). */
function nextTime(now: number, ...times: (number | null)[]): number | null {
  let earliest: number | null = null;
  for (const t of times) if (t !== null && t > now && (earliest === null || t < earliest)) earliest = t;
  return earliest;
}

/** After a placement: when the planner next needs the clock (its next slice or the chaser's timeout), or the horizon. */
function nextWake(state: ParentState, now: number, instrument: Instrument): number | null {
  const decision = decide(state, now, instrument);
  return nextTime(now, decision.kind === "wait" ? decision.wakeAt : null, state.endAt);
}

function ignored(state: ParentState, why: string): StepResult {
  return { state, intents: [], ignored: why };
}

/** Applies one event. Never mutates `state`. */
export function stepParent(state: ParentState, event: ParentEvent, ctx: ParentContext): StepResult {
  const next = copy(state, ctx.now);
  const intents: ParentIntent[] = [];
  const terminal = isParentTerminal(state);
  switch (event.type) {
    case "timer":
      if (terminal || event.at !== state.nextTimerAt) return ignored(state, `stale timer for ${event.at}`);
      next.nextTimerAt = null;
      return drive(next, intents, ctx);

    case "market": {
      if (event.bid !== undefined) next.bid = event.bid;
      if (event.ask !== undefined) next.ask = event.ask;
      if (event.tradedVolume !== undefined) next.plan = observeVolume(next.plan, event.tradedVolume);
      return terminal ? { state: next, intents } : drive(next, intents, ctx);
    }

    case "childAccepted":
    case "childFilled":
    case "childRejected":
    case "childCancelled": {
      const child = next.children.find((c) => c.clientOrderId === event.clientOrderId);
      if (!child) return ignored(state, `unknown child ${event.clientOrderId}`);
      const updated = applyChildEvent(next, child, event);
      if (typeof updated === "string") return ignored(state, updated);
      replaceChild(next, updated);
      if (terminal) return { state: next, intents };
      if (event.type === "childRejected" && updated.status === "rejected") {
        next.consecutiveRejections += 1;
        if (next.consecutiveRejections >= next.spec.maxRejections && next.status !== "completing") {
          beginCancel(next, intents, "failed", `${next.consecutiveRejections} children refused in a row, the last: ${event.reason}`);
        }
      } else if (event.type === "childAccepted" || event.type === "childFilled") {
        next.consecutiveRejections = 0;
      }
      return drive(next, intents, ctx);
    }

    case "pause":
      if (state.status !== "working") return ignored(state, `cannot pause a parent that is ${state.status}`);
      cancelLiveChildren(next, intents, "parent paused");
      next.status = "paused";
      next.reason = event.reason ?? "paused";
      return drive(next, intents, ctx);

    case "resume":
      if (state.status !== "paused") return ignored(state, `cannot resume a parent that is ${state.status}`);
      next.status = "working";
      next.reason = null;
      return drive(next, intents, ctx);

    case "cancel":
      if (terminal) return ignored(state, `the parent is already ${state.status}`);
      beginCancel(next, intents, "cancelled", event.reason ?? "cancelled");
      return drive(next, intents, ctx);

    case "halt": {
      if (terminal) return ignored(state, `the parent is already ${state.status}`);
      const reason = `halted${event.reason ? `: ${event.reason}` : ""}`;
      cancelLiveChildren(next, intents, reason);
      return finish(next, intents, "cancelled", reason);
    }

    case "restart": {
      // Timers died with the process; children sent without an answer are in doubt until the venue says.
      next.nextTimerAt = null;
      for (const child of next.children) {
        if (child.status === "sent") {
          replaceChild(next, { ...child, status: "in_doubt" });
          intents.push({ type: "reconcileChild", clientOrderId: child.clientOrderId });
        }
      }
      if (terminal) return { state: next, intents };
      if (next.spec.restartPolicy === "stop" && next.finishAs === null) beginCancel(next, intents, "cancelled", "stopped after a restart");
      return drive(next, intents, ctx);
    }
  }
}

/** The child after the event, or why the event changes nothing. */
function applyChildEvent(state: ParentState, child: ChildRecord, event: Extract<ParentEvent, { clientOrderId: string }>): ChildRecord | string {
  const live = LIVE_CHILD_STATUSES.has(child.status);
  switch (event.type) {
    case "childAccepted":
      if (child.status !== "sent" && child.status !== "in_doubt") return `child ${child.clientOrderId} is already ${child.status}`;
      return { ...child, status: "working" };
    case "childFilled": {
      if (child.tradeIds.includes(event.tradeId)) return `trade ${event.tradeId} of ${child.clientOrderId} is already booked`;
      if (!isPositive(event.qty) || !isPositive(event.price)) return `fill of ${child.clientOrderId} with a quantity or price not above zero`;
      const notional = event.qty.times(event.price);
      const fee = event.fee ?? ZERO;
      state.filledQty = add(state.filledQty, event.qty);
      state.filledNotional = add(state.filledNotional, notional);
      state.fees = add(state.fees, fee);
      const filledQty = add(child.filledQty, event.qty);
      const isFull = cmp(filledQty, child.qty) >= 0;
      return {
        ...child,
        filledQty,
        filledNotional: add(child.filledNotional, notional),
        fees: add(child.fees, fee),
        tradeIds: [...child.tradeIds, event.tradeId],
        status: live && isFull ? "filled" : child.status === "sent" || child.status === "in_doubt" ? "working" : child.status,
      };
    }
    case "childRejected":
      if (!live) return `child ${child.clientOrderId} is already ${child.status}`;
      return { ...child, status: "rejected", reason: event.reason };
    case "childCancelled":
      if (!live) return `child ${child.clientOrderId} is already ${child.status}`;
      return { ...child, status: "cancelled", reason: event.reason ?? "cancelled" };
  }
}

export interface ParentProgress {
  status: ParentStatus;
  filledQty: Decimal;
  targetQty: Decimal;
  remainingQty: Decimal;
  avgPrice: Decimal | null;
  childrenSent: number;
  /** Schedule-based algorithms only: slices planned and not yet taken. */
  slicesLeft: number | null;
  nextSliceAt: number | null;
  /** Signed by side: positive = paid more (bought higher / sold lower) than the arrival price. */
  shortfallBps: Decimal | null;
}

/** What the Orders page shows for a parent. */
export function parentProgress(state: ParentState): ParentProgress {
  const avgPrice = isPositive(state.filledQty) ? state.filledNotional.dividedBy(state.filledQty) : null;
  const schedule = state.plan.kind === "schedule" ? state.plan : null;
  return {
    status: state.status,
    filledQty: state.filledQty,
    targetQty: state.spec.targetQty,
    remainingQty: unfilledQty(state),
    avgPrice,
    childrenSent: state.children.length,
    slicesLeft: schedule ? schedule.slices.length - schedule.next : null,
    nextSliceAt: schedule && !isParentTerminal(state) ? (schedule.slices[schedule.next]?.at ?? null) : null,
    shortfallBps: avgPrice === null ? null : implementationShortfallBps(state.spec.side, state.spec.arrivalPrice, avgPrice),
  };
}
