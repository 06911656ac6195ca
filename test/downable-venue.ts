/**
 * A simulator behind a switch for multi-venue tests: while `down`, its order requests throw a transient error and it
 * says it is not connected, so the other venues can be seen to keep trading. Subclasses add their own faults.
 */
import type { SimVenue } from "../server/venues/sim/sim-venue";
import { TransientVenueError, type OrderChanges, type VenueStatus } from "../server/venues/venue";
import { VenueReads } from "./venue-reads";

export abstract class DownableSimVenue extends VenueReads<SimVenue> {
  readonly kind = "sim" as const;
  down = false;
  get id(): string {
    return this.inner.id;
  }
  protected check(): void {
    if (this.down) throw new TransientVenueError(`${this.id} is unreachable`);
  }
  cancel(clientOrderId: string, now: number) {
    this.check();
    return this.inner.cancel(clientOrderId, now);
  }
  cancelAll(symbol: string | undefined, now: number) {
    this.check();
    return this.inner.cancelAll(symbol, now);
  }
  modify(clientOrderId: string, changes: OrderChanges, now: number) {
    this.check();
    return this.inner.modify(clientOrderId, changes, now);
  }
  advanceTo(now: number) {
    return this.inner.advanceTo(now);
  }
  override status(): VenueStatus {
    return this.down ? { connected: false, latencyMs: null, lastError: `${this.id} is unreachable` } : this.inner.status();
  }
}
