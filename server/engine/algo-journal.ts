/**
 * The algos room's journal (engine/algos.ts holds the parent lifecycle): when and how a parent's state is saved.
 * Journal first: a step whose intents act (send or cancel a child, finish) or that changed the status is saved before
 * its intents are carried out; a step that only books what happened (a fill, an acceptance) is saved once the room's
 * work queue is empty — the books hold it already, and a restart reads it back from there (restore syncs every child).
 */
import type { ParentIntent } from "../core/algos/types";
import { serializeParentState } from "../core/algos/serialize";
import type { ParentOrderRecord } from "../db/store";
import type { EngineContext } from "./context";
import type { LiveParent } from "./algo-types";

export class ParentJournal {
  /** Parents changed since their last save by steps that sent nothing (saved when the queue is empty). */
  private readonly dirty = new Set<LiveParent>();
  private readonly savedStatus = new Map<string, string>();

  constructor(private readonly cx: EngineContext) {}

  /** After a step: saved now when its intents act or its status moved, else marked for the end of the queue. */
  record(live: LiveParent, intents: readonly ParentIntent[]): void {
    if (intents.some((i) => i.type !== "scheduleTimer") || live.state.status !== this.savedStatus.get(live.state.spec.id)) this.save(live);
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

  save(live: LiveParent): void {
    const state = live.state;
    this.dirty.delete(live);
    this.savedStatus.set(state.spec.id, state.status);
    const record: ParentOrderRecord = {
      id: state.spec.id,
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
    this.cx.durably(() => this.cx.store.saveParentOrder(record), `parent order ${state.spec.id} journaled`);
  }
}
