/**
 * The alert center in the running process: listens to the engine's bus, turns what it hears into alerts with the pure
 * rules and book of core/alerts, stores every change (server/db/alerts.ts), and takes a person's acknowledgement
 * (audited in the engine's store with who and why).
 *
 * Never slows the engine: the bus listener only queues the event; the rules, the book and the SQLite writes run on a
 * timer turn after the engine's synchronous work, and a failure there is logged, never thrown into the bus. The runtime
 * also reports connectivity (market data, venue) and a periodic tick (limit orders past their timeout).
 */
import { AlertBook, AlertRules, DEFAULT_ALERT_SETTINGS, type AlertInput, type AlertRecord, type AlertSettings, type AlertSummary } from "../core/alerts";
import type { Clock } from "../core/clock";
import type { IdGenerator } from "../core/ids";
import { trailingTriggerFor, type Order } from "../core/orders";
import { scopeLabel } from "../core/protection/types";
import { MemoryAlertLog, openAlertLog, type AlertRepository, type SqliteAlertLog } from "../db/alerts";
import type { AuditRecord, Store } from "../db/store";
import type { EventBus } from "./bus";
import { resultMessage } from "./context";
import type { Actor, CommandResult, DomainEvent } from "./types";

export interface AlertTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface DeskAlerts {
  /** Acknowledges one occurrence: who and why, audited. */
  acknowledge(id: string, actor: Actor, reason: string): CommandResult;
  summary(): AlertSummary;
  /** Unacknowledged occurrences, newest first. */
  unacknowledged(): AlertRecord[];
  /** A connection's state as the runtime sees it (raised when lost, resolved when regained). */
  connectivity(target: string, connected: boolean, message: string): void;
  /** Time passing: limit orders past their fill timeout count as misses. */
  tick(): void;
  /** Processes what is queued now (tests, and before an acknowledgement). */
  flush(): void;
  close(): void;
}

export interface AlertsOptions {
  bus: Pick<EventBus, "subscribe">;
  repository: AlertRepository;
  /** The engine's store, for the audit row of an acknowledgement. */
  store: Pick<Store, "transaction" | "appendAudit">;
  clock: Clock;
  timers: AlertTimers;
  ids: IdGenerator;
  settings?: AlertSettings;
  /** The price an order was meant to trade at (its requested price), for the slippage of its fills. */
  requestedPrice?: (clientOrderId: string) => string | null;
  /** The order behind a fill: a trigger order's fills are measured against its trigger level (core arrivalPrice). */
  orderOf?: (clientOrderId: string) => Order | null;
  log?: (level: "info" | "warn" | "error", message: string) => void;
}

/** The level a trigger order fired at: a trailing stop's follows the best price seen, others' is fixed. Null: none. */
function triggerLevel(order: Order): string | null {
  if (order.trailing?.extremePrice) return trailingTriggerFor(order.trailing, order.side, order.trailing.extremePrice).toString();
  return order.triggerPrice?.toString() ?? null;
}

/** The rules' input for a bus event, or null for events that are not alert material. */
export function alertInput(
  event: DomainEvent,
  now: number,
  requestedPrice: (clientOrderId: string) => string | null,
  orderOf: (clientOrderId: string) => Order | null = () => null,
): AlertInput | null {
  switch (event.type) {
    case "order": {
      const o = event.order;
      return {
        type: "order",
        clientOrderId: o.clientOrderId,
        symbol: o.symbol,
        orderType: o.type,
        status: o.status,
        venue: o.venue,
        createdAt: o.createdAt,
        updatedAt: o.updatedAt,
      };
    }
    case "fill": {
      const order = orderOf(event.clientOrderId);
      return {
        type: "fill",
        clientOrderId: event.clientOrderId,
        symbol: event.symbol,
        side: event.side,
        price: event.price.toString(),
        requestedPrice: requestedPrice(event.clientOrderId),
        ...(order && { orderType: order.type, triggerPrice: triggerLevel(order) }),
        ts: event.ts,
      };
    }
    case "drift":
      return { type: "drift", kind: event.kind, subject: event.subject, message: event.message, ts: now };
    case "protection": {
      const f = event.firing;
      return { type: "protection", rule: f.rule, scope: scopeLabel(f.scope), action: f.action, message: f.message, ts: f.ts };
    }
    case "breaker":
      return { type: "breaker", state: event.state, reason: event.reason, message: event.message, ts: now };
    default:
      return null;
  }
}

export function startAlerts(options: AlertsOptions): DeskAlerts {
  const rules = new AlertRules(options.settings ?? DEFAULT_ALERT_SETTINGS);
  const book = new AlertBook(options.ids);
  const log = options.log ?? (() => undefined);
  const requestedPrice = options.requestedPrice ?? (() => null);
  const orderOf = options.orderOf ?? (() => null);
  try {
    book.restore(options.repository.loadCurrent());
  } catch (error) {
    log("error", `alerts: stored alerts cannot be read (${error instanceof Error ? error.message : String(error)}); counting starts afresh`);
  }

  const queue: AlertInput[] = [];
  let scheduled: unknown = null;
  let closed = false;

  const handle = (input: AlertInput) => {
    for (const signal of rules.observe(input)) {
      const change = book.apply(signal);
      if (!change) continue;
      try {
        options.repository.write(change);
      } catch (error) {
        log("error", `alerts: ${change.change} ${change.alert.key} not stored: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  };
  const flush = () => {
    if (scheduled !== null) options.timers.clearTimeout(scheduled);
    scheduled = null;
    for (const input of queue.splice(0)) handle(input);
  };
  const enqueue = (input: AlertInput) => {
    if (closed) return;
    queue.push(input);
    scheduled ??= options.timers.setTimeout(flush, 0);
  };

  const detach = options.bus.subscribe((event) => {
    // Only the mapping runs here, on the engine's turn (and the order's reads for a fill): the rest waits.
    const input = alertInput(event, options.clock.now(), requestedPrice, orderOf);
    if (input) enqueue(input);
  });

  const audit = (actor: Actor, id: string, reason: string, result: CommandResult) => {
    const record: AuditRecord = {
      ts: options.clock.now(),
      actor: actor.username,
      role: actor.role,
      action: "alerts.acknowledge",
      target: id,
      reason,
      params: { id },
      result: result.ok ? "OK" : "REFUSED",
      detail: resultMessage(result),
    };
    options.store.transaction(() => options.store.appendAudit(record));
  };

  return {
    acknowledge(id, actor, reason) {
      flush();
      const acked = book.acknowledge(id, actor.username, reason, options.clock.now());
      let result: CommandResult;
      if (!acked.ok) result = { ok: false, error: acked.error };
      else {
        options.repository.write(acked.change);
        result = { ok: true, message: `Alert ${acked.change.alert.title} acknowledged.`, data: { id } };
      }
      audit(actor, id, reason, result);
      return result;
    },
    summary: () => {
      flush();
      return book.summary();
    },
    unacknowledged: () => {
      flush();
      return book.unacknowledged();
    },
    connectivity: (target, connected, message) => enqueue({ type: "connectivity", target, connected, message, ts: options.clock.now() }),
    tick: () => enqueue({ type: "tick", ts: options.clock.now() }),
    flush,
    close() {
      closed = true;
      detach();
      flush();
    },
  };
}

/**
 * The runtime's call: the alert log on the desk's database, attached to the bus. A log that cannot be opened (a database
 * not migrated yet) keeps alerts in memory, and says so.
 */
export function startDeskAlerts(options: Omit<AlertsOptions, "repository"> & { databaseUrl: string }): DeskAlerts {
  let log: SqliteAlertLog | null = null;
  try {
    log = openAlertLog({ url: options.databaseUrl });
  } catch (error) {
    options.log?.(
      "error",
      `alerts: the alert log cannot be opened (${error instanceof Error ? error.message : String(error)}); alerts are kept in memory only`,
    );
  }
  const alerts = startAlerts({ ...options, repository: log ?? new MemoryAlertLog() });
  return {
    ...alerts,
    close() {
      alerts.close();
      log?.close();
    },
  };
}
