/**
 * The algos room's journal (engine/algos.ts holds the parent lifecycle): when and how a parent's state is saved.
 *
 * When. Journal first: a step whose intents act (send or cancel a child, finish) or that changed the status is saved
 * before its intents are carried out; a step that only books what happened (a fill, an acceptance) is saved once the
 * room's work queue is empty — the books hold it already, and a restart reads it back from there (restore syncs every
 * child).
 *
 * How. A parent is saved whole once (its spec, schedule and first children), then each step writes only what changed:
 * its progress (status, filled, plan position, touch, timers: a few hundred bytes) and the children that are new or
 * changed since the last save (a child is replaced, never mutated, by the state machine: a changed child is a new
 * object). A slice is one progress row and one child row, however many children came before it; both in one
 * transaction, so a crash leaves the step saved or not at all (the store's saveParentProgress).
 */
import type { ChildRecord, ParentIntent, ParentState } from "../core/algos/types";
import { parseStoredParent, serializeChildRecord, serializeParentProgress, serializeParentState } from "../core/algos/serialize";
import type { Result } from "../core/errors";
import type { ParentChildRecord, ParentOrderRecord } from "../db/store";
import type { EngineContext } from "./context";
import type { LiveParent } from "./algo-types";

/** What the store holds of a parent, as this process last wrote or read it. */
interface Saved {
  status: string;
  /** The child objects last saved, by client order id. */
  children: Map<string, ChildRecord>;
}

/** A stored parent's state from its whole save and the parts saved since. */
export function storedParentState(row: ParentOrderRecord): Result<ParentState, "INVALID_PARENT_STATE"> {
  return parseStoredParent({ state: row.state, progress: row.progress ?? null, children: row.children ?? [] });
}

export class ParentJournal {
  /** Parents changed since their last save by steps that sent nothing (saved when the queue is empty). */
  private readonly dirty = new Set<LiveParent>();
  private readonly saved = new Map<string, Saved>();

  constructor(private readonly cx: EngineContext) {}

  /** After a step: saved now when its intents act or its status moved, else marked for the end of the queue. */
  record(live: LiveParent, intents: readonly ParentIntent[]): void {
    if (intents.some((i) => i.type !== "scheduleTimer") || live.state.status !== this.saved.get(live.state.spec.id)?.status) this.save(live);
    else this.dirty.add(live);
  }

  /** The queue is empty: what only booked is saved. */
  flush(): void {
    for (const live of this.dirty) this.save(live);
    this.dirty.clear();
  }

  /** The queue stopped on an error: what was not saved stays in the books (a restart syncs it from there). */
  discard(): void {
    this.dirty.clear();
  }

  /** Restore: what the store holds is what was just read. */
  reset(restored: Iterable<LiveParent>): void {
    this.dirty.clear();
    this.saved.clear();
    for (const live of restored) this.saved.set(live.state.spec.id, savedOf(live.state));
  }

  save(live: LiveParent): void {
    const state = live.state;
    const id = state.spec.id;
    this.dirty.delete(live);
    const saved = this.saved.get(id);
    if (!saved) {
      const record: ParentOrderRecord = {
        id,
        symbol: state.spec.symbol,
        side: state.spec.side,
        algo: state.spec.algo.kind,
        status: state.status,
        targetQty: state.spec.targetQty,
        filledQty: state.filledQty,
        state: serializeParentState(state),
        meta: live.meta,
        createdAt: live.createdAt,
        updatedAt: state.updatedAt,
      };
      this.cx.durably(() => this.cx.store.saveParentOrder(record), `parent order ${id} journaled`);
      this.saved.set(id, savedOf(state));
      return;
    }
    const changed = state.children.filter((child) => saved.children.get(child.clientOrderId) !== child);
    const children: ParentChildRecord[] = changed.map((child) => ({
      parentId: id,
      clientOrderId: child.clientOrderId,
      slice: child.slice,
      state: serializeChildRecord(child),
      updatedAt: state.updatedAt,
    }));
    const progress = { id, status: state.status, filledQty: state.filledQty, progress: serializeParentProgress(state), updatedAt: state.updatedAt };
    this.cx.durably(() => this.cx.store.saveParentProgress(progress, children), `parent order ${id} journaled`);
    // Only once written: a failed write leaves them to be written by the next save.
    saved.status = state.status;
    for (const child of changed) saved.children.set(child.clientOrderId, child);
  }
}

function savedOf(state: ParentState): Saved {
  return { status: state.status, children: new Map(state.children.map((child) => [child.clientOrderId, child])) };
}
