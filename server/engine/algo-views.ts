/**
 * What the Orders page and the reports see of a parent: its progress (filled/target, slices done and left, next slice
 * time), average price, shortfall against the arrival price, and its children. Read-only: built from a parent's
 * state, never changing it.
 */
import { parentProgress } from "../core/algos/parent";
import type { ParentState } from "../core/algos/types";
import type { OrderSide } from "../core/orders";
import type { ParentOrderRecord } from "../db/store";
import { ownerOf } from "./books";
import type { LiveParent, ParentMeta } from "./algo-types";
import { storedParentState } from "./algo-journal";

export interface ParentView {
  id: string;
  symbol: string;
  side: OrderSide;
  algo: string;
  label: string;
  owner: string;
  status: string;
  reason: string | null;
  createdAt: number;
  targetQty: string;
  filledQty: string;
  remainingQty: string;
  avgPrice: string | null;
  arrivalPrice: string;
  limitPrice: string | null;
  shortfallBps: number | null;
  childrenSent: number;
  slicesLeft: number | null;
  nextSliceAt: number | null;
  children: {
    clientOrderId: string;
    slice: number;
    purpose: string;
    type: string;
    qty: string;
    price: string | null;
    status: string;
    filledQty: string;
    placedAt: number;
    reason: string | null;
  }[];
}

export function viewOf(state: ParentState, meta: ParentMeta, createdAt: number): ParentView {
  const progress = parentProgress(state);
  return {
    id: state.spec.id,
    symbol: state.spec.symbol,
    side: state.spec.side,
    algo: state.spec.algo.kind,
    label: meta.label ?? state.spec.algo.kind,
    owner: meta.owner ?? ownerOf({ strategy: null }),
    status: state.status,
    reason: state.reason,
    createdAt,
    targetQty: progress.targetQty.toString(),
    filledQty: progress.filledQty.toString(),
    remainingQty: progress.remainingQty.toString(),
    avgPrice: progress.avgPrice?.toSignificantDigits(10).toString() ?? null,
    arrivalPrice: state.spec.arrivalPrice.toString(),
    limitPrice: state.spec.limitPrice?.toString() ?? null,
    // A display figure (two decimals), converted at the edge.
    shortfallBps: progress.shortfallBps === null ? null : progress.shortfallBps.toDecimalPlaces(2).toNumber(),
    childrenSent: progress.childrenSent,
    slicesLeft: progress.slicesLeft,
    nextSliceAt: progress.nextSliceAt,
    children: state.children.map((c) => ({
      clientOrderId: c.clientOrderId,
      slice: c.slice,
      purpose: c.purpose,
      type: c.type,
      qty: c.qty.toString(),
      price: c.price?.toString() ?? null,
      status: c.status,
      filledQty: c.filledQty.toString(),
      placedAt: c.placedAt,
      reason: c.reason,
    })),
  };
}

/** Parents with their progress and children, newest first: the live state when the room holds it, else the stored one. */
export function parentViews(rows: readonly ParentOrderRecord[], live: ReadonlyMap<string, LiveParent>, limit: number): ParentView[] {
  const views: ParentView[] = [];
  for (const row of rows.slice(-limit).reverse()) {
    const held = live.get(row.id);
    const stored = held ? null : storedParentState(row);
    const state = held?.state ?? (stored?.ok ? stored.value : null);
    if (!state) continue;
    views.push(viewOf(state, (held?.meta ?? row.meta) as ParentMeta, row.createdAt));
  }
  return views;
}
