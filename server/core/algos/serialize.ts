/**
 * Parent state to and from JSON text, for the engine's store: Decimals are written as `{ "$decimal": "1.23" }` so
 * they come back as Decimals (never floats), and a state of another layout version is refused, not misread.
 *
 * A parent is saved whole once (serializeParentState), then per step in parts, so that a slice writes what changed
 * and not every child again: the progress (serializeParentProgress: the state without its spec, its schedule's slices
 * and its children, which never change or are saved apart) and each new or changed child (serializeChildRecord).
 * parseStoredParent puts the parts back together.
 */
import { Decimal } from "../money";
import { err, ok, type Result } from "../errors";
import { type ChildRecord, type ParentState, type PlanState } from "./types";

const TAG = "$decimal";

export function serializeParentState(state: ParentState): string {
  // One walk that tags the Decimals, then a plain stringify: a replacer looked up every key's holder again, and the
  // engine saves a parent on every step, so this is its hot path.
  return JSON.stringify(tagged(state));
}

function tagged(value: unknown): unknown {
  if (value === null || typeof value !== "object") return value;
  if (value instanceof Decimal) return { [TAG]: value.toString() };
  if (Array.isArray(value)) return value.map(tagged);
  if (Decimal.isDecimal(value)) return { [TAG]: value.toString() };
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const v = (value as Record<string, unknown>)[key];
    if (v !== undefined) out[key] = tagged(v);
  }
  return out;
}

function untagged(_key: string, value: unknown): unknown {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record);
    if (keys.length === 1 && keys[0] === TAG && typeof record[TAG] === "string") return new Decimal(record[TAG]);
  }
  return value;
}

export function parseParentState(text: string): Result<ParentState, "INVALID_PARENT_STATE"> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text, untagged);
  } catch (e) {
    return err("INVALID_PARENT_STATE", `The stored parent state is not JSON: ${(e as Error).message}`);
  }
  const candidate = parsed as Partial<ParentState> | null;
  if (candidate === null || typeof candidate !== "object" || candidate.version !== 1 || !candidate.spec || !Array.isArray(candidate.children)) {
    return err("INVALID_PARENT_STATE", "The stored parent state is not a version 1 parent state.");
  }
  return ok(candidate as ParentState);
}

/** What a step changes besides its children: everything but the spec, the schedule's slices (fixed at the start) and the children. */
type ParentProgress = Omit<ParentState, "spec" | "children" | "plan"> & { plan: PlanState | { kind: "schedule"; next: number } };

export function serializeParentProgress(state: ParentState): string {
  const { spec: _spec, children: _children, plan, ...rest } = state;
  const progress: ParentProgress = { ...rest, plan: plan.kind === "schedule" ? { kind: "schedule", next: plan.next } : plan };
  return JSON.stringify(tagged(progress));
}

export function serializeChildRecord(child: ChildRecord): string {
  return JSON.stringify(tagged(child));
}

/**
 * A parent from its stored parts: the whole state of its first save, then (when saved since) its latest progress and
 * the children saved apart, each replacing the child of the same id (children in the order they were placed).
 */
export function parseStoredParent(stored: {
  state: string;
  progress: string | null;
  children: readonly string[];
}): Result<ParentState, "INVALID_PARENT_STATE"> {
  const base = parseParentState(stored.state);
  if (!base.ok || (stored.progress === null && stored.children.length === 0)) return base;
  let progress: ParentProgress | null = null;
  const children = new Map(base.value.children.map((c) => [c.clientOrderId, c]));
  try {
    if (stored.progress !== null) progress = JSON.parse(stored.progress, untagged) as ParentProgress;
    for (const text of stored.children) {
      const child = JSON.parse(text, untagged) as ChildRecord;
      children.set(child.clientOrderId, child);
    }
  } catch (e) {
    return err("INVALID_PARENT_STATE", `A stored part of parent ${base.value.spec.id} is not JSON: ${(e as Error).message}`);
  }
  if (progress !== null && (progress.version !== 1 || typeof progress.plan?.kind !== "string")) {
    return err("INVALID_PARENT_STATE", `The stored progress of parent ${base.value.spec.id} is not a version 1 parent progress.`);
  }
  const basePlan = base.value.plan;
  let plan: PlanState = basePlan;
  if (progress) {
    if (progress.plan.kind === "schedule" && !("slices" in progress.plan)) {
      if (basePlan.kind !== "schedule") return err("INVALID_PARENT_STATE", `Parent ${base.value.spec.id}: its progress has a schedule, its state none.`);
      plan = { ...basePlan, next: progress.plan.next };
    } else plan = progress.plan;
  }
  const ordered = [...children.values()].sort((a, b) => a.slice - b.slice);
  return ok({ ...base.value, ...(progress ?? {}), spec: base.value.spec, plan, children: ordered });
}
