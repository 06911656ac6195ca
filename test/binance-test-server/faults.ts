/**
 * Fault injection: make requests to an endpoint fail in a chosen way, to drive an adapter's failure
 * paths end to end. Faults come from one-shot rules (`add`: the next N matching requests) and from a
 * seeded random plan (`setPlan`: each request of an endpoint draws a fault with given probabilities),
 * so a long chaos run is the same run for the same seed.
 *
 * What each kind does (and whether the request is executed — the question a client cannot answer):
 * - `unavailable`: HTTP 503 with a non-JSON body (what a load balancer answers), nothing executed.
 * - `rateLimit`: HTTP 429 with Binance's -1003 body and `Retry-After`, nothing executed.
 * - `hang`: the request is read and never answered (the client times out), nothing executed.
 * - `dropResponse`: the request IS executed (an order is placed, a cancel happens) and the answer
 *   is never sent (the client times out), the "lost createOrder response" case.
 * - `resetAfterExecute`: executed, then the connection is destroyed without an answer; with
 *   `delayMs` the connection is destroyed first and the request executed `delayMs` later.
 * - `resetBeforeExecute`: the connection is destroyed without an answer, nothing executed.
 * - `delay`: executed, answered after `delayMs` (beyond the client's timeout: executed, answer lost).
 * - `statusUnknown`: Binance's -1007 "Timeout waiting for response from backend server. Send status
 *   unknown; execution status unknown." with HTTP 503 (Binance: a 5XX is NOT a failure, the execution
 *   status is unknown), and the request is executed `delayMs` later (0: at once, before answering).
 * - `statusUnknownNotExecuted`: the same answer, and the request is never executed.
 * - `placeOnLookup`: the same answer, nothing executed yet; the order is placed right after the
 *   first lookup of it by clientOrderId (GET /api/v3/order with origClientOrderId), which itself
 *   still answers -2013 "Order does not exist.". Only for POST /api/v3/order (elsewhere it acts as
 *   `statusUnknownNotExecuted`). The cruelest honest exchange: "not found" did not mean "not placed".
 */
import { seededRng, type Rng } from "../../server/core/rng";

export const FAULT_KINDS = [
  "unavailable",
  "rateLimit",
  "hang",
  "dropResponse",
  "resetAfterExecute",
  "resetBeforeExecute",
  "delay",
  "statusUnknown",
  "statusUnknownNotExecuted",
  "placeOnLookup",
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** The kinds after which the request was (or will be) executed although the client got no answer it can trust. */
export const EXECUTING_FAULTS: ReadonlySet<FaultKind> = new Set(["dropResponse", "resetAfterExecute", "delay", "statusUnknown", "placeOnLookup"]);

export interface FaultRule {
  /** "POST /api/v3/order", "DELETE /api/v3/openOrders", … or "*" for any request. */
  endpoint: string;
  kind: FaultKind;
  /** How many matching requests fail (default 1). */
  times?: number;
  /** For `delay`, `statusUnknown` and `resetAfterExecute`: how long after the request it is answered or executed. */
  delayMs?: number;
}

/** One endpoint's share of a random plan. */
export interface FaultPlanRule {
  /** "POST /api/v3/order", … or "*" for any request not named by another rule. */
  endpoint: string;
  /** Probability of each kind per request (their sum at most 1; the rest pass untouched). */
  probabilities: Partial<Record<FaultKind, number>>;
  /** Delay for the kinds that take one: a fixed ms, or [min, max] drawn from the plan's RNG. */
  delayMs?: number | readonly [number, number];
}

export interface FaultPlan {
  seed: number;
  rules: readonly FaultPlanRule[];
}

interface ActiveRule {
  endpoint: string;
  kind: FaultKind;
  remaining: number;
  delayMs: number;
}

export interface TakenFault {
  kind: FaultKind;
  delayMs: number;
}

const MAX_DELAY_MS = 600_000;

function checkKind(kind: unknown): asserts kind is FaultKind {
  if (!(FAULT_KINDS as readonly unknown[]).includes(kind)) throw new RangeError(`unknown fault kind ${String(kind)}; use one of ${FAULT_KINDS.join(", ")}`);
}

function checkDelay(ms: number): number {
  if (!Number.isFinite(ms) || ms < 0 || ms > MAX_DELAY_MS) throw new RangeError(`fault delayMs must be from 0 to ${MAX_DELAY_MS}, got ${ms}`);
  return ms;
}

export class FaultQueue {
  private rules: ActiveRule[] = [];
  private plan: { rules: FaultPlanRule[]; rng: Rng } | null = null;
  private readonly counts = new Map<FaultKind, number>();

  add(rule: FaultRule): void {
    checkKind(rule.kind);
    const times = rule.times ?? 1;
    if (!Number.isInteger(times) || times < 1) throw new RangeError(`fault times must be a whole number ≥ 1, got ${times}`);
    this.rules.push({ endpoint: rule.endpoint, kind: rule.kind, remaining: times, delayMs: checkDelay(rule.delayMs ?? 0) });
  }

  /** A seeded random plan (replaces the previous one; null turns it off). One-shot rules go first. */
  setPlan(plan: FaultPlan | null): void {
    if (plan === null) {
      this.plan = null;
      return;
    }
    for (const rule of plan.rules) {
      let sum = 0;
      for (const [kind, p] of Object.entries(rule.probabilities)) {
        checkKind(kind);
        if (typeof p !== "number" || !(p >= 0 && p <= 1))
          throw new RangeError(`the probability of ${kind} on ${rule.endpoint} must be from 0 to 1, got ${String(p)}`);
        sum += p;
      }
      if (sum > 1 + 1e-9) throw new RangeError(`the fault probabilities on ${rule.endpoint} add up to ${Number(sum.toFixed(6))}, more than 1`);
      const d = rule.delayMs;
      if (Array.isArray(d)) {
        const [min, max] = d as readonly [number, number];
        if (checkDelay(min) > checkDelay(max)) throw new RangeError(`fault delayMs range [${min}, ${max}] is backwards`);
      } else if (d !== undefined) checkDelay(d as number);
    }
    this.plan = { rules: [...plan.rules], rng: seededRng(plan.seed) };
  }

  clear(): void {
    this.rules = [];
    this.plan = null;
  }

  pending(): FaultRule[] {
    return this.rules.map((r) => ({ endpoint: r.endpoint, kind: r.kind, times: r.remaining, delayMs: r.delayMs }));
  }

  /** Faults applied so far, by kind (one-shot and planned). */
  injected(): Partial<Record<FaultKind, number>> {
    return Object.fromEntries(this.counts);
  }

  /** The fault to apply to this request (consuming one use of a rule, or one draw of the plan), or null. */
  take(endpoint: string): TakenFault | null {
    const taken = this.takeRule(endpoint) ?? this.draw(endpoint);
    if (taken) this.counts.set(taken.kind, (this.counts.get(taken.kind) ?? 0) + 1);
    return taken;
  }

  private takeRule(endpoint: string): TakenFault | null {
    const rule = this.rules.find((r) => r.endpoint === endpoint || r.endpoint === "*");
    if (!rule) return null;
    rule.remaining -= 1;
    if (rule.remaining <= 0) this.rules = this.rules.filter((r) => r !== rule);
    return { kind: rule.kind, delayMs: rule.delayMs };
  }

  private draw(endpoint: string): TakenFault | null {
    if (!this.plan) return null;
    const rule = this.plan.rules.find((r) => r.endpoint === endpoint) ?? this.plan.rules.find((r) => r.endpoint === "*");
    if (!rule) return null;
    const rng = this.plan.rng;
    // Two draws per request, always: the same seed gives the same faults whatever the delays.
    const u = rng.next();
    const v = rng.next();
    let acc = 0;
    for (const kind of FAULT_KINDS) {
      acc += rule.probabilities[kind] ?? 0;
      if (u < acc) {
        const d = rule.delayMs ?? 0;
        const delayMs = typeof d === "number" ? d : Math.round(d[0] + (d[1] - d[0]) * v);
        return { kind, delayMs };
      }
    }
    return null;
  }
}
