/**
 * The arbitrage opportunity log's skips: aggregated in memory per pair (one run of one reason code) and written as one
 * row with a count when the reason changes, when an opportunity is taken, or at most once per SKIP_FLUSH_MS of desk
 * time. A crash loses at most the count of the run not yet written.
 */
import type { Decimal } from "../core/money";
import type { ArbOpportunityRow } from "../db/store";
import type { EngineContext } from "./context";
import { SKIP_FLUSH_MS } from "./arbitrage-types";

export interface PendingSkip {
  code: string;
  reason: string;
  count: number;
  firstTs: number;
  lastTs: number;
  bestNetBps: Decimal | null;
}

/** The row a run of skips is written as (and shown as, before it is written). */
export function skipRow(pairId: string, pending: PendingSkip): ArbOpportunityRow {
  return {
    pairId,
    outcome: "skipped",
    code: pending.code,
    reason: pending.reason,
    count: pending.count,
    firstTs: pending.firstTs,
    lastTs: pending.lastTs,
    bestNetBps: pending.bestNetBps?.toDecimalPlaces(2) ?? null,
    buyVenue: null,
    sellVenue: null,
    qty: null,
    roundTripId: null,
  };
}

export class SkipLog {
  private readonly runs = new Map<string, PendingSkip>();

  constructor(private readonly cx: EngineContext) {}

  /** The runs not yet written, per pair. */
  get pending(): ReadonlyMap<string, PendingSkip> {
    return this.runs;
  }

  skip(pairId: string, code: string, reason: string, bestNetBps: Decimal | null, now: number): void {
    const pending = this.runs.get(pairId);
    if (pending && pending.code === code) {
      pending.count++;
      pending.lastTs = now;
      pending.reason = reason;
      if (bestNetBps !== null && (pending.bestNetBps === null || bestNetBps.greaterThan(pending.bestNetBps))) pending.bestNetBps = bestNetBps;
      if (now - pending.firstTs >= SKIP_FLUSH_MS) this.flush(pairId);
      return;
    }
    if (pending) this.flush(pairId);
    this.runs.set(pairId, { code, reason, count: 1, firstTs: now, lastTs: now, bestNetBps });
  }

  flush(pairId: string): void {
    const pending = this.runs.get(pairId);
    if (!pending) return;
    this.runs.delete(pairId);
    const row = skipRow(pairId, pending);
    this.cx.durably(() => this.cx.store.appendArbOpportunity(row));
  }

  /** Skips still aggregated in memory, written now (a halt). */
  flushAll(): void {
    for (const pairId of [...this.runs.keys()]) this.flush(pairId);
  }

  /** A restore: what was not written is lost (at most a minute of counts). */
  clear(): void {
    this.runs.clear();
  }
}
