/**
 * A test venue for smart order routing: a simulator whose book routing can read or not, that can go down, refuse
 * every order at once, hold orders unanswered (a real exchange's later rejection is then pushed by the test), and be
 * asked for a book (fetchVisibleBook) like a ccxt venue.
 */
import type { OrderSpec } from "../server/core/orders";
import type { SimVenue } from "../server/venues/sim/sim-venue";
import type { MarketUpdate, Venue, VenueEvent, VisibleBook } from "../server/venues/venue";
import { DownableSimVenue } from "./downable-venue";

export class RoutingTestVenue extends DownableSimVenue implements Venue {
  /** Every new order is refused at once with this reason. */
  refuseWith: string | null = null;
  /** New orders get no answer (the test pushes one through `push`). */
  holdSubmits = false;
  /** The simulator's own book is not shown (the venue set falls back to what market data and fetches showed). */
  hideBook = false;
  /** What fetchVisibleBook answers (undefined: the method is absent); an Error is thrown. */
  fetched: VisibleBook | Error | undefined = undefined;
  readonly submitted: OrderSpec[] = [];
  private sink: (events: VenueEvent[]) => void = () => undefined;

  constructor(inner: SimVenue) {
    super(inner);
    this.fetchVisibleBook = (symbol: string, depth: number) => {
      void symbol;
      void depth;
      if (this.fetched === undefined) return Promise.reject(new Error("no fetch configured"));
      return this.fetched instanceof Error ? Promise.reject(this.fetched) : Promise.resolve(this.fetched);
    };
  }

  fetchVisibleBook?: (symbol: string, depth: number) => Promise<VisibleBook>;
  setEventSink(sink: (events: VenueEvent[]) => void) {
    this.sink = sink;
    this.inner.setEventSink(sink);
  }
  /** Delivers events as a real exchange's later answer would arrive. */
  push(events: VenueEvent[]): void {
    this.sink(events);
  }
  submit(spec: OrderSpec, now: number) {
    this.check();
    this.submitted.push(spec);
    if (this.refuseWith !== null) return [{ clientOrderId: spec.clientOrderId, event: { type: "reject" as const, reason: this.refuseWith, ts: now } }];
    if (this.holdSubmits) return [];
    return this.inner.submit(spec, now);
  }
  onMarketData(update: MarketUpdate, now: number) {
    return this.inner.onMarketData(update, now);
  }
  visibleBook(symbol: string, depth: number): VisibleBook | null {
    return this.hideBook ? null : this.inner.visibleBook(symbol, depth);
  }
}
