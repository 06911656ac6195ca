import type { Venue } from "../server/venues/venue";

/**
 * The reads of a test venue that wraps another (instruments, lookups, balances, status, close), forwarded as they
 * are: fakes that hold or reorder the inner venue's answers extend it and write only the requests they change.
 */
export abstract class VenueReads<V extends Venue> {
  constructor(readonly inner: V) {}
  instruments() {
    return this.inner.instruments();
  }
  fetchOrder(clientOrderId: string) {
    return this.inner.fetchOrder(clientOrderId);
  }
  fetchOpenOrders() {
    return this.inner.fetchOpenOrders();
  }
  fetchFills(since: number) {
    return this.inner.fetchFills(since);
  }
  fetchBalances() {
    return this.inner.fetchBalances();
  }
  freeBalance(currency: string) {
    return this.inner.freeBalance(currency);
  }
  status() {
    return this.inner.status();
  }
  close() {
    return this.inner.close();
  }
}
