/**
 * GTD expiry by the engine: a good-till-date order the venue cannot hold (ccxt sends none) is sent as GTC and tagged
 * `gtd: engine`; a timer on the engine's clock cancels it at its expiry time — journaled first like every cancel, with
 * the reason "expired (GTD)". An order still held by the engine (EMULATED) is canceled locally. A restart arms the
 * timers again from the open orders (one already due is canceled at once). Called only from inside the engine's queue.
 */
import { isTerminal, type Order } from "../core/orders";
import type { EngineContext } from "./context";

export const GTD_EXPIRED_REASON = "expired (GTD)";

/** Whether the engine expires this order (the tag the risk gate sets when the venue cannot hold its GTD). */
export function expiredByEngine(order: Order): boolean {
  return order.timeInForce === "GTD" && order.expireAt !== null && order.tags.gtd === "engine";
}

export class Expiries {
  private readonly timers = new Map<string, unknown>();

  constructor(private readonly cx: EngineContext) {}

  /** Arms the expiry timer of an order the engine expires (idempotent). */
  watch(order: Order): void {
    if (!expiredByEngine(order) || isTerminal(order) || this.timers.has(order.clientOrderId)) return;
    const clientOrderId = order.clientOrderId;
    const delay = Math.max(0, order.expireAt! - this.cx.clock.now());
    const handle = this.cx.timers.setTimeout(() => {
      this.timers.delete(clientOrderId);
      void this.cx.engine.run(() => this.expire(clientOrderId)).catch((e: unknown) => this.cx.log("error", `GTD expiry of ${clientOrderId}: ${String(e)}`));
    }, delay);
    this.timers.set(clientOrderId, handle);
  }

  /** After a start or a reload: every open order the engine expires gets its timer. */
  restore(): void {
    for (const handle of this.timers.values()) this.cx.timers.clearTimeout(handle);
    this.timers.clear();
    for (const record of this.cx.books.orders.values()) this.watch(record.order);
  }

  /** The order's time is up: canceled (journaled, reason "expired (GTD)"), unless it ended or its time moved on. */
  expire(clientOrderId: string): void {
    const record = this.cx.books.orders.get(clientOrderId);
    if (!record || isTerminal(record.order) || record.order.status === "PENDING_CANCEL") return;
    const expireAt = record.order.expireAt;
    if (expireAt !== null && expireAt > this.cx.clock.now()) {
      this.watch(record.order); // a timer fired early (the wall clock ahead of the engine's): armed again
      return;
    }
    this.cx.ledger.requestCancel(record, GTD_EXPIRED_REASON);
  }
}
