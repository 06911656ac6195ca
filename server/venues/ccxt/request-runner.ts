/**
 * How the ccxt adapter runs its exchange calls: each call keeps the latency and connection status the venue reports
 * in status(), and turns ccxt's errors into classified, scrubbed venue errors (errors.ts); requests started by the
 * port's synchronous methods are tracked until they settle, so idle() and close() can wait for them.
 */
import type { Exchange } from "ccxt";
import { FinalVenueError, TransientVenueError } from "../venue";
import { classifyCcxtError, scrubSecrets, type RequestKind } from "./errors";

export interface RequestRunnerDeps {
  venueId: string;
  /** The ccxt id of the main instance, for errors of work that failed outside a call. */
  exchangeId: string;
  /** Monotonic milliseconds for latency. */
  monotonic: () => number;
  /** The keys to scrub from every message. */
  secrets: () => string[];
  log: (level: "info" | "warn" | "error", message: string) => void;
}

export class RequestRunner {
  private latencies: number[] = [];
  private connectedNow = true;
  private lastErrorNow: string | null = null;
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(private readonly deps: RequestRunnerDeps) {}

  /** Runs a ccxt call: latency and connection status, errors classified and scrubbed. */
  async call<T>(instance: Exchange, kind: RequestKind, action: string, fn: () => Promise<T>): Promise<T> {
    const started = this.deps.monotonic();
    try {
      const result = await fn();
      this.latencies = [...this.latencies.slice(-19), this.deps.monotonic() - started];
      this.connectedNow = true;
      return result;
    } catch (e) {
      const error = classifyCcxtError(e, { exchange: instance.id, kind, action, secrets: this.deps.secrets() });
      if (!(error instanceof FinalVenueError && error.code === "ORDER_NOT_FOUND")) this.lastErrorNow = error.message;
      if (error instanceof TransientVenueError) this.connectedNow = false;
      else this.latencies = [...this.latencies.slice(-19), this.deps.monotonic() - started];
      throw error;
    }
  }

  /** Starts a request in the background: its answer goes to onDone, its classified error to onError. */
  start<T>(work: Promise<T>, onDone: (value: T) => void, onError: (error: TransientVenueError | FinalVenueError) => void): void {
    const tracked = work.then(onDone, (e: unknown) => {
      const error =
        e instanceof TransientVenueError || e instanceof FinalVenueError
          ? e
          : classifyCcxtError(e, { exchange: this.deps.exchangeId, kind: "read", action: "a request", secrets: this.deps.secrets() });
      onError(error);
    });
    const settled = tracked.catch((e: unknown) =>
      this.deps.log("error", `${this.deps.venueId}: event handling failed: ${scrubSecrets(String(e), this.deps.secrets())}`),
    );
    this.inFlight.add(settled);
    void settled.finally(() => this.inFlight.delete(settled));
  }

  /** The mean latency of the last 20 calls, or null before the first. */
  latencyMs(): number | null {
    return this.latencies.length === 0 ? null : Math.round(this.latencies.reduce((a, b) => a + b, 0) / this.latencies.length);
  }

  connected(): boolean {
    return this.connectedNow;
  }

  lastError(): string | null {
    return this.lastErrorNow;
  }

  /** The requests started and not yet settled. */
  pending(): Promise<unknown>[] {
    return [...this.inFlight];
  }
}
