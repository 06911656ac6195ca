/**
 * The ccxt adapter's REST poller, the safety net under the websocket stream: for each symbol with orders Bastion
 * placed that are open (or whose fills are not all seen), new fills since the oldest of them, then the open
 * orders; an order no longer listed is looked up and its end (canceled, expired, rejected) reported. Polls run
 * one at a time on the injected timers; a failed poll is logged and the next one tries again, never thrown.
 */
import type { TimerHandle, Timers } from "../../core/clock";
import type { VenueEvent } from "../../core/orders/events";
import { clientIdOf, type OrderTracker, type TrackedOrder } from "./order-tracker";
import type { CcxtOrderLike, CcxtTradeLike } from "./orders";

/** What the poller reads and reports through: the adapter's exchange calls, its tracker and its event sink. */
export interface PollerHost {
  /** The venue's id, for log lines. */
  readonly venueId: string;
  readonly tracker: OrderTracker;
  /** The account's fills on a symbol since `since` (ms; 0 = as far back as the exchange answers). */
  readTrades(symbol: string, since: number): Promise<CcxtTradeLike[]>;
  /** The open orders of a symbol, the trigger book too when asked. */
  openOrdersOf(symbol: string, triggerBook: boolean): Promise<CcxtOrderLike[]>;
  /** One of our orders at the exchange, or null when it is not there. */
  findOrder(clientOrderId: string, symbol: string, record: TrackedOrder): Promise<CcxtOrderLike | null>;
  emit(events: VenueEvent[]): void;
  isClosed(): boolean;
  /** The pause before the next automatic poll (it may change with the stream's health). */
  intervalMs(): number;
  log(level: "info" | "warn" | "error", message: string): void;
}

export class OrderPoller {
  private timer: TimerHandle = null;
  private polling: Promise<void> | null = null;

  constructor(
    private readonly host: PollerHost,
    private readonly timers: Pick<Timers, "setTimeout"> & Partial<Timers>,
  ) {}

  /** Polls every intervalMs() from now on, until stop() or the venue closes. */
  start(): void {
    this.timer = this.timers.setTimeout(() => {
      if (this.host.isClosed()) return;
      void this.pollOnce().finally(() => {
        if (!this.host.isClosed()) this.start();
      });
    }, this.host.intervalMs());
  }

  stop(): void {
    if (this.timer !== null) this.timers.clearTimeout?.(this.timer);
    this.timer = null;
  }

  /** The poll under way, if any (for idle()). */
  running(): Promise<void> | null {
    return this.polling;
  }

  /** One poll; a poll already under way is joined, not doubled. */
  pollOnce(): Promise<void> {
    if (this.polling) return this.polling;
    const run = this.poll().finally(() => {
      this.polling = null;
    });
    this.polling = run;
    return run;
  }

  private async poll(): Promise<void> {
    const { tracker } = this.host;
    const bySymbol = new Map<string, TrackedOrder[]>();
    for (const record of tracker.all()) {
      if (!record.venueOrderId) continue;
      if (!record.open && record.seenFilled.greaterThanOrEqualTo(record.reportedFilled)) continue;
      bySymbol.set(record.symbol, [...(bySymbol.get(record.symbol) ?? []), record]);
    }
    for (const [symbol, records] of bySymbol) {
      try {
        const events: VenueEvent[] = [];
        const since = Math.min(...records.map((r) => r.createdAt)) - 60_000;
        const readFills = async () => {
          for (const trade of await this.host.readTrades(symbol, since)) {
            const clientOrderId = trade.order ? tracker.clientOrderIdOf(String(trade.order)) : undefined;
            const record = clientOrderId ? tracker.get(clientOrderId) : undefined;
            if (record) events.push(...tracker.fillEvents(record, [{ ...trade, symbol }]));
          }
        };
        await readFills();
        const idsBefore = new Map(records.map((r) => [r.clientOrderId, r.venueOrderId]));
        const open = records.filter((r) => r.open);
        if (open.length > 0) {
          const listed = new Set<string>();
          for (const order of await this.host.openOrdersOf(
            symbol,
            open.some((r) => r.triggerBook),
          )) {
            if (order.id) listed.add(String(order.id));
            const clientOrderId = clientIdOf(order);
            if (clientOrderId) listed.add(clientOrderId);
          }
          for (const record of open) {
            if (listed.has(record.clientOrderId) || (record.venueOrderId && listed.has(record.venueOrderId))) continue;
            const order = await this.host.findOrder(record.clientOrderId, symbol, record);
            if (order) events.push(...tracker.eventsForOrder(record, order, "poll"));
          }
        }
        // An order that turned up under a new exchange id (a triggered Bitget plan) has fills the first read could not
        // match to it: read them again now rather than a poll later.
        if (records.some((r) => r.venueOrderId !== idsBefore.get(r.clientOrderId) && r.reportedFilled.greaterThan(r.seenFilled))) await readFills();
        this.host.emit(events);
      } catch (error) {
        this.host.log("warn", `${this.host.venueId}: poll of ${symbol} failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }
}
