/**
 * Fault injection: make the next N requests to an endpoint fail in a chosen way, to drive an
 * adapter's failure paths end to end.
 *
 * - `unavailable`: HTTP 503 with a non-JSON body (what a load balancer answers), nothing executed.
 * - `rateLimit`: HTTP 429 with Binance's -1003 body, nothing executed.
 * - `hang`: the request is read and never answered (the client times out), nothing executed.
 * - `dropResponse`: the request IS executed (an order is placed, a cancel happens) and the answer
 *   is never sent (the client times out), the "lost createOrder response" case.
 * - `resetAfterExecute`: executed, then the connection is destroyed without an answer.
 * - `delay`: executed, answered after `delayMs`.
 */
export const FAULT_KINDS = ["unavailable", "rateLimit", "hang", "dropResponse", "resetAfterExecute", "delay"] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultRule {
  /** "POST /api/v3/order", "DELETE /api/v3/openOrders", … or "*" for any request. */
  endpoint: string;
  kind: FaultKind;
  /** How many matching requests fail (default 1). */
  times?: number;
  /** For `delay`. */
  delayMs?: number;
}

interface ActiveRule {
  endpoint: string;
  kind: FaultKind;
  remaining: number;
  delayMs: number;
}

export class FaultQueue {
  private rules: ActiveRule[] = [];

  add(rule: FaultRule): void {
    if (!(FAULT_KINDS as readonly string[]).includes(rule.kind)) throw new RangeError(`unknown fault kind ${String(rule.kind)}; use one of ${FAULT_KINDS.join(", ")}`);
    const times = rule.times ?? 1;
    if (!Number.isInteger(times) || times < 1) throw new RangeError(`fault times must be a whole number ≥ 1, got ${times}`);
    this.rules.push({ endpoint: rule.endpoint, kind: rule.kind, remaining: times, delayMs: Math.max(0, rule.delayMs ?? 0) });
  }

  clear(): void {
    this.rules = [];
  }

  pending(): FaultRule[] {
    return this.rules.map((r) => ({ endpoint: r.endpoint, kind: r.kind, times: r.remaining, delayMs: r.delayMs }));
  }

  /** The fault to apply to this request (consuming one use), or null. */
  take(endpoint: string): { kind: FaultKind; delayMs: number } | null {
    const rule = this.rules.find((r) => r.endpoint === endpoint || r.endpoint === "*");
    if (!rule) return null;
    rule.remaining -= 1;
    if (rule.remaining <= 0) this.rules = this.rules.filter((r) => r !== rule);
    return { kind: rule.kind, delayMs: rule.delayMs };
  }
}
