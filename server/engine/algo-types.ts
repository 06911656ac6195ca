/**
 * The algos room's shapes (engine/algos.ts and the rooms beside it): the engine's facts about a parent (ParentMeta),
 * what starting one takes, the live parent as the room holds it, and the work queue's items. No behaviour but the seed.
 */
import type { AlgoRequest, ChaserDefaults } from "../core/algos/request";
import type { EndBehaviour, ParentEvent, ParentState, RestartPolicy } from "../core/algos/types";
import type { Decimal } from "../core/money";
import type { OrderSide } from "../core/orders";

/** The engine's facts about a parent that the state machine does not keep. */
export interface ParentMeta {
  /** Who the children's positions belong to: a strategy, or `manual`. */
  owner: string;
  signalId: string | null;
  /** Set when the parent reduces this position (an exit): its children are reduce-only. */
  reducePositionId: string | null;
  /** The request as asked (for the list and the audit). */
  algo: AlgoRequest;
  label: string;
  startedBy: string;
  /** The exit reason a reducing parent's children carry (e.g. "signal", "stop_loss"). */
  reason: string | null;
  /**
   * The venue the parent works on (its children go there; its arrival price, limit guards and touch are that venue's
   * mark). Absent on parents stored before venues were kept, and on a single-venue desk: the engine's venue.
   */
  venue?: string;
}

export interface StartParentInput {
  symbol: string;
  side: OrderSide;
  quantity: string | Decimal;
  limitPrice?: string | null;
  algo: AlgoRequest;
  endBehaviour?: EndBehaviour;
  restartPolicy?: RestartPolicy;
  maxRejections?: number;
  seed?: number;
}

export interface StartParentContext {
  owner: string;
  signalId?: string | null;
  reducePositionId?: string | null;
  reason?: string | null;
  startedBy: string;
  /** The benchmark of the shortfall; default the mark now. */
  arrivalPrice?: Decimal;
  /** An iceberg without a limit price rests at the arrival price (signals and backtests; people name theirs). */
  limitAtArrival?: boolean;
  /** The venue to work on (a signal's routed venue, a person's named one); default the engine's venue. */
  venue?: string;
}

/** A parent as the room holds it: the state machine's state, the engine's facts, its timer (null: none armed). */
export interface LiveParent {
  state: ParentState;
  meta: ParentMeta;
  createdAt: number;
  timer: unknown;
}

/** One item of the room's work queue: an event for a parent, or a child to bring up to date from the books. */
export type WorkItem = { id: string; event: ParentEvent } | { id: string; sync: string };

/** Chaser defaults when no setting says otherwise. */
export const DEFAULT_CHASER: ChaserDefaults = { timeoutSeconds: 30, retryAttempts: 3 };

/** A stable 32-bit seed from the parent id (FNV-1a): the same parent plans the same slices. */
export function hashSeed(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
