/**
 * Alert rules: what the desk observed (order transitions, fills, reconciliation drifts, protection firings, breaker
 * changes, connectivity) turned into alert signals — raise a key with a severity, or resolve it. Pure and stateful:
 * the rules remember what they need (when an order was submitted, the recent limit-order outcomes, the last
 * connectivity state) and never read a clock; every input carries its time.
 *
 * A key names one condition ("SLIPPAGE:BTC/USDT", "BREAKER", "CONNECTIVITY:venue binance"): the alert book dedupes on
 * it. The inputs are stated here in plain shapes (core sits below the engine); the engine-side subscriber maps its bus
 * events onto them.
 */
import { D, type Decimal } from "../money";
import { TRIGGER_TYPES, type OrderType } from "../orders/types";

export const ALERT_SEVERITIES = ["info", "warning", "critical"] as const;
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];

export function severityRank(severity: AlertSeverity): number {
  return ALERT_SEVERITIES.indexOf(severity);
}

export function maxSeverity(a: AlertSeverity, b: AlertSeverity): AlertSeverity {
  return severityRank(a) >= severityRank(b) ? a : b;
}

export const ALERT_KINDS = ["SLIPPAGE", "LATENCY", "FILL_RATE", "BALANCE", "CONNECTIVITY", "PROTECTION", "BREAKER", "IN_DOUBT"] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

/** The thresholds; `DEFAULT_ALERT_SETTINGS` holds the desk's defaults. */
export interface AlertSettings {
  /** A fill this many basis points worse than the price asked for raises a warning… */
  slippageWarnBps: number;
  /** …and this many a critical alert. */
  slippageCriticalBps: number;
  /** Submit → venue answer slower than this raises a warning; five times slower, a critical alert. */
  latencyMs: number;
  /** A limit order counts as filled in time when it fills within this long of its acknowledgement. */
  limitFillTimeoutMs: number;
  /** The fill rate is measured over the limit orders whose outcome was known within this window… */
  fillRateWindowMs: number;
  /** …once at least this many are in it… */
  fillRateMinOrders: number;
  /** …and alerts below this share (0–1). */
  fillRateFloor: number;
}

export const DEFAULT_ALERT_SETTINGS: AlertSettings = {
  slippageWarnBps: 50,
  slippageCriticalBps: 200,
  latencyMs: 3_000,
  limitFillTimeoutMs: 5 * 60_000,
  fillRateWindowMs: 60 * 60_000,
  fillRateMinOrders: 10,
  fillRateFloor: 0.3,
};

/** What the rules are told about, each with its time (epoch ms on the desk's clock). */
export type AlertInput =
  | {
      type: "order";
      clientOrderId: string;
      symbol: string;
      orderType: string;
      status: string;
      venue: string | null;
      createdAt: number;
      updatedAt: number;
    }
  | {
      type: "fill";
      clientOrderId: string;
      symbol: string;
      side: "BUY" | "SELL";
      price: string;
      requestedPrice: string | null;
      /** The order's type and, for a trigger order, the trigger level it fired at (see arrivalPrice). */
      orderType?: string;
      triggerPrice?: string | null;
      ts: number;
    }
  | { type: "drift"; kind: string; subject: string; message: string; ts: number }
  | { type: "protection"; rule: string; scope: string; action: string; message: string; ts: number }
  | { type: "breaker"; state: "OPEN" | "CLOSED"; reason: string; message: string; ts: number }
  | { type: "connectivity"; target: string; connected: boolean; message: string; ts: number }
  /** Time passing: limit orders still unfilled past their timeout count as misses. */
  | { type: "tick"; ts: number };

export type AlertSignal =
  | { op: "raise"; key: string; kind: AlertKind; severity: AlertSeverity; subject: string; title: string; message: string; ts: number }
  | { op: "resolve"; key: string; message: string; ts: number };

/** Drift kinds that say the venue's balances or positions differ from the books. */
const BALANCE_DRIFTS = new Set(["QUOTE_BALANCE_MISMATCH", "BALANCE_SHORTFALL", "POSITION_MISMATCH"]);
/** Statuses that are the venue's first answer to a submission. */
const ANSWERED = new Set(["ACCEPTED", "TRIGGERED", "PARTIALLY_FILLED", "FILLED", "CANCELED", "EXPIRED", "REJECTED"]);
const ENDED_UNFILLED = new Set(["CANCELED", "EXPIRED"]);
/** Bounds on what the rules remember (an order whose answer never comes is forgotten, not kept forever). */
const MAX_TRACKED = 10_000;

/** Slippage in basis points, positive = worse than asked (paid more on a buy, got less on a sell); null without a reference. */
export function slippageBps(side: "BUY" | "SELL", requested: Decimal, filled: Decimal): number | null {
  if (requested.isZero() || requested.isNegative()) return null;
  const diff = side === "BUY" ? filled.minus(requested) : requested.minus(filled);
  // A ratio for display and comparison against a setting, never money: a number is fine.
  return diff.div(requested).times(10_000).toNumber();
}

/**
 * The arrival price a fill's slippage is measured against (as implementation shortfall is): the market when the order
 * could first trade. A market order's requested price is the touch when it was sent, a limit order's is its limit. A
 * trigger order rests until its trigger: measured against the market when it was placed, a stop 5 % away would read as
 * 500 bps of slippage, so its trigger price is where it arrived. Null: nothing to measure against.
 */
export function arrivalPrice(
  fill: Pick<Extract<AlertInput, { type: "fill" }>, "orderType" | "requestedPrice" | "triggerPrice">,
): { price: string; basis: "requested" | "trigger" } | null {
  const triggered = fill.orderType !== undefined && TRIGGER_TYPES.has(fill.orderType as OrderType);
  if (triggered && fill.triggerPrice != null) return { price: fill.triggerPrice, basis: "trigger" };
  // A trigger order without its trigger level cannot be judged: the requested price is the market at placement.
  if (triggered) return null;
  return fill.requestedPrice === null ? null : { price: fill.requestedPrice, basis: "requested" };
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

interface LimitWatch {
  acceptedAt: number;
  symbol: string;
}

export class AlertRules {
  private readonly submitted = new Map<string, { at: number; venue: string }>();
  private readonly limits = new Map<string, LimitWatch>();
  /** Outcomes of limit orders (ts the outcome was known, filled in time or not), oldest first. */
  private outcomes: { ts: number; filled: boolean }[] = [];
  private readonly connected = new Map<string, boolean>();
  private readonly slowVenues = new Set<string>();

  constructor(private readonly settings: AlertSettings = DEFAULT_ALERT_SETTINGS) {}

  observe(input: AlertInput): AlertSignal[] {
    switch (input.type) {
      case "order":
        return this.onOrder(input);
      case "fill":
        return this.onFill(input);
      case "drift":
        return this.onDrift(input);
      case "protection": {
        const severity: AlertSeverity = input.action === "ALERT" ? "warning" : "critical";
        return [
          {
            op: "raise",
            key: `PROTECTION:${input.rule}:${input.scope}`,
            kind: "PROTECTION",
            severity,
            subject: input.scope,
            title: `Protection ${input.rule} fired on ${input.scope} (${input.action})`,
            message: input.message,
            ts: input.ts,
          },
        ];
      }
      case "breaker":
        return input.state === "OPEN"
          ? [
              {
                op: "raise",
                key: "BREAKER",
                kind: "BREAKER",
                severity: "critical",
                subject: "desk",
                title: `Circuit breaker tripped: ${input.reason}`,
                message: input.message,
                ts: input.ts,
              },
            ]
          : [{ op: "resolve", key: "BREAKER", message: `Breaker reset: ${input.message}`, ts: input.ts }];
      case "connectivity": {
        const before = this.connected.get(input.target);
        this.connected.set(input.target, input.connected);
        const key = `CONNECTIVITY:${input.target}`;
        if (!input.connected && before !== false) {
          const title = `Connection lost: ${input.target}`;
          return [{ op: "raise", key, kind: "CONNECTIVITY", severity: "critical", subject: input.target, title, message: input.message, ts: input.ts }];
        }
        if (input.connected && before === false) return [{ op: "resolve", key, message: `Connection regained: ${input.message}`, ts: input.ts }];
        return [];
      }
      case "tick":
        return this.expireLimits(input.ts);
    }
  }

  private onOrder(order: Extract<AlertInput, { type: "order" }>): AlertSignal[] {
    const signals: AlertSignal[] = [];
    const id = order.clientOrderId;
    if (order.status === "SUBMITTED") {
      if (!this.submitted.has(id)) this.remember(this.submitted, id, { at: order.updatedAt, venue: order.venue ?? "venue" });
    } else if (ANSWERED.has(order.status)) {
      const sent = this.submitted.get(id);
      if (sent) {
        this.submitted.delete(id);
        signals.push(...this.latency(id, order.symbol, sent.venue, order.updatedAt - sent.at, order.updatedAt));
      }
    }
    if (order.orderType === "LIMIT") {
      const watch = this.limits.get(id);
      if (!watch && (order.status === "ACCEPTED" || order.status === "PARTIALLY_FILLED")) {
        this.remember(this.limits, id, { acceptedAt: order.updatedAt, symbol: order.symbol });
      } else if (watch && order.status === "FILLED") {
        this.limits.delete(id);
        signals.push(...this.outcome(order.updatedAt, order.updatedAt - watch.acceptedAt <= this.settings.limitFillTimeoutMs));
      } else if (watch && (ENDED_UNFILLED.has(order.status) || order.status === "REJECTED")) {
        this.limits.delete(id);
        // Ended before its timeout without filling: a miss all the same (canceled by a person or a strategy counts too).
        signals.push(...this.outcome(order.updatedAt, false));
      }
    }
    return signals;
  }

  private latency(clientOrderId: string, symbol: string, venue: string, ms: number, ts: number): AlertSignal[] {
    const key = `LATENCY:${venue}`;
    if (ms <= this.settings.latencyMs) {
      if (!this.slowVenues.delete(venue)) return [];
      return [{ op: "resolve", key, message: `${venue} answered order ${clientOrderId} in ${ms} ms.`, ts }];
    }
    this.slowVenues.add(venue);
    const severity: AlertSeverity = ms > this.settings.latencyMs * 5 ? "critical" : "warning";
    return [
      {
        op: "raise",
        key,
        kind: "LATENCY",
        severity,
        subject: venue,
        title: `Slow order answers from ${venue}`,
        message: `${venue} took ${ms} ms to answer order ${clientOrderId} (${symbol}); the bound is ${this.settings.latencyMs} ms.`,
        ts,
      },
    ];
  }

  private expireLimits(now: number): AlertSignal[] {
    const signals: AlertSignal[] = [];
    for (const [id, watch] of this.limits) {
      if (now - watch.acceptedAt <= this.settings.limitFillTimeoutMs) continue;
      this.limits.delete(id);
      signals.push(...this.outcome(now, false));
    }
    return signals;
  }

  private outcome(ts: number, filled: boolean): AlertSignal[] {
    this.outcomes.push({ ts, filled });
    const from = ts - this.settings.fillRateWindowMs;
    this.outcomes = this.outcomes.filter((o) => o.ts > from);
    const total = this.outcomes.length;
    if (total < this.settings.fillRateMinOrders) return [];
    const filledCount = this.outcomes.filter((o) => o.filled).length;
    // A share for comparison against a setting, not money.
    const rate = filledCount / total;
    const words = `${filledCount} of the last ${total} limit orders filled within ${Math.round(this.settings.limitFillTimeoutMs / 1000)} s (${round(rate * 100, 1)}%)`;
    if (rate >= this.settings.fillRateFloor) return [{ op: "resolve", key: "FILL_RATE", message: `${words}.`, ts }];
    return [
      {
        op: "raise",
        key: "FILL_RATE",
        kind: "FILL_RATE",
        severity: "warning",
        subject: "limit orders",
        title: "Limit orders fill less often",
        message: `${words}; the floor is ${round(this.settings.fillRateFloor * 100, 1)}%.`,
        ts,
      },
    ];
  }

  private onFill(fill: Extract<AlertInput, { type: "fill" }>): AlertSignal[] {
    const arrival = arrivalPrice(fill);
    if (arrival === null) return [];
    const bps = slippageBps(fill.side, D(arrival.price), D(fill.price));
    if (bps === null || bps < this.settings.slippageWarnBps) return [];
    const severity: AlertSeverity = bps >= this.settings.slippageCriticalBps ? "critical" : "warning";
    return [
      {
        op: "raise",
        key: `SLIPPAGE:${fill.symbol}`,
        kind: "SLIPPAGE",
        severity,
        subject: fill.symbol,
        title: `High slippage on ${fill.symbol}`,
        message: `Order ${fill.clientOrderId} (${fill.side}) filled at ${fill.price}, ${round(bps, 1)} bps worse than ${arrival.basis === "trigger" ? `its trigger price ${arrival.price}` : `the ${arrival.price} asked for`} (the bound is ${this.settings.slippageWarnBps} bps).`,
        ts: fill.ts,
      },
    ];
  }

  private onDrift(drift: Extract<AlertInput, { type: "drift" }>): AlertSignal[] {
    if (BALANCE_DRIFTS.has(drift.kind)) {
      return [
        {
          op: "raise",
          key: `BALANCE:${drift.kind}:${drift.subject}`,
          kind: "BALANCE",
          severity: "critical",
          subject: drift.subject,
          title: `Balance discrepancy: ${drift.kind} on ${drift.subject}`,
          message: drift.message,
          ts: drift.ts,
        },
      ];
    }
    if (drift.kind === "ORDER_IN_DOUBT") {
      return [
        {
          op: "raise",
          key: `IN_DOUBT:${drift.subject}`,
          kind: "IN_DOUBT",
          severity: "warning",
          subject: drift.subject,
          title: `Order ${drift.subject} in doubt`,
          message: drift.message,
          ts: drift.ts,
        },
      ];
    }
    if (drift.kind === "IN_DOUBT_RESOLVED") return [{ op: "resolve", key: `IN_DOUBT:${drift.subject}`, message: drift.message, ts: drift.ts }];
    return [];
  }

  private remember<V>(map: Map<string, V>, key: string, value: V): void {
    if (map.size >= MAX_TRACKED) {
      const oldest = map.keys().next().value;
      if (oldest !== undefined) map.delete(oldest);
    }
    map.set(key, value);
  }
}
