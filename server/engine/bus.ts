/** A small typed event bus: the engine publishes domain events; subscribers (SSE streams, tests) listen. */
import type { DomainEvent } from "./types";

export type BusListener = (event: DomainEvent, seq: number) => void;

export class EventBus {
  private listeners = new Set<BusListener>();
  private seq = 0;
  /** The last events, so a reconnecting client can catch up by sequence number. */
  private readonly recent: { seq: number; event: DomainEvent }[] = [];

  constructor(private readonly keep = 500) {}

  publish(event: DomainEvent): void {
    const seq = ++this.seq;
    if (this.keep > 0) {
      this.recent.push({ seq, event });
      // Trim in batches: splicing one element per event would copy the whole buffer every time.
      if (this.recent.length > this.keep * 2) this.recent.splice(0, this.recent.length - this.keep);
    }
    for (const listener of this.listeners) {
      try {
        listener(event, seq);
      } catch {
        // A broken subscriber must never break the engine.
      }
    }
  }

  subscribe(listener: BusListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Events after `seq` still in memory; null when the client is too far behind and must refetch. */
  since(seq: number): { seq: number; event: DomainEvent }[] | null {
    const first = this.recent[0];
    if (first && seq < first.seq - 1) return null;
    if (!first && seq < this.seq) return null; // nothing kept (keep = 0, or trimmed away): refetch
    return this.recent.filter((e) => e.seq > seq);
  }

  get lastSeq(): number {
    return this.seq;
  }
}
