/**
 * A parent saved whole once and then in parts (progress + new or changed children) reads back as the state it was
 * at every step, for each algorithm; bad parts are refused in words.
 */
import { describe, expect, it } from "vitest";
import { makeInstrument } from "../instrument";
import { D, type Decimal } from "../money";
import { startParent, stepParent } from "./parent";
import { parseParentState, parseStoredParent, serializeChildRecord, serializeParentProgress, serializeParentState } from "./serialize";
import { learnVolumeProfile } from "./volume-profile";
import type { AlgoConfig, ChildRecord, ParentEvent, ParentSpec, ParentState } from "./types";

const BTC = makeInstrument({ symbol: "BTC/USDT", priceTick: "0.01", qtyStep: "0.001", minQty: "0.001", minNotional: "10" });
const MIN = 60_000;

const spec = (algo: AlgoConfig, over: Partial<ParentSpec> = {}): ParentSpec => ({
  id: "p1",
  symbol: "BTC/USDT",
  side: "BUY",
  targetQty: D("1"),
  limitPrice: null,
  arrivalPrice: D("20000"),
  startAt: 0,
  seed: 7,
  algo,
  endBehaviour: "cross",
  restartPolicy: "resume",
  maxRejections: 3,
  ...over,
});

/** The store's view: the whole first save, then the latest progress and the latest text of each child saved apart. */
class PartsStore {
  readonly state: string;
  progress: string | null = null;
  readonly children = new Map<string, { slice: number; text: string }>();
  private saved = new Map<string, ChildRecord>();
  writtenChildren: number[] = [];
  constructor(first: ParentState) {
    this.state = serializeParentState(first);
    for (const child of first.children) this.saved.set(child.clientOrderId, child);
  }
  save(state: ParentState): void {
    this.progress = serializeParentProgress(state);
    const changed = state.children.filter((c) => this.saved.get(c.clientOrderId) !== c);
    for (const child of changed) {
      this.children.set(child.clientOrderId, { slice: child.slice, text: serializeChildRecord(child) });
      this.saved.set(child.clientOrderId, child);
    }
    this.writtenChildren.push(changed.length);
  }
  load() {
    const children = [...this.children.values()].sort((a, b) => a.slice - b.slice).map((c) => c.text);
    return parseStoredParent({ state: this.state, progress: this.progress, children });
  }
}

/**
 * Every placed child accepted, and filled in two parts unless it is a limit below the ask (20000), which rests; every
 * cancel acknowledged; the touch and the timers every minute for an hour.
 */
function drive(first: ParentState, intents: readonly { type: string }[], onStep: (state: ParentState) => void): ParentState {
  let state = first;
  const queue: ParentEvent[] = [];
  const react = (list: readonly unknown[]) => {
    for (const intent of list as { type: string; child?: { clientOrderId: string; qty: Decimal; price: Decimal | null }; clientOrderId?: string }[]) {
      if (intent.type === "placeChild") {
        const id = intent.child!.clientOrderId;
        queue.push({ type: "childAccepted", clientOrderId: id });
        if (intent.child!.price !== null && intent.child!.price.lessThan(20000)) continue;
        queue.push({ type: "childFilled", clientOrderId: id, tradeId: `${id}-t`, qty: intent.child!.qty.dividedBy(2), price: D("20000") });
        queue.push({ type: "childFilled", clientOrderId: id, tradeId: `${id}-u`, qty: intent.child!.qty.dividedBy(2), price: D("20001") });
      }
      if (intent.type === "cancelChild") queue.push({ type: "childCancelled", clientOrderId: intent.clientOrderId! });
    }
  };
  react(intents);
  for (let t = 0; t <= 60 * MIN; t += MIN) {
    queue.push({ type: "market", bid: D("19999"), ask: D("20000"), tradedVolume: D("2") }, { type: "timer", at: t });
    while (queue.length > 0) {
      const result = stepParent(state, queue.shift()!, { now: t, instrument: BTC });
      if (result.ignored) continue;
      state = result.state;
      onStep(state);
      react(result.intents);
    }
  }
  return state;
}

describe("a parent saved in parts reads back as it was at every step", () => {
  it.each<[string, AlgoConfig, Partial<ParentSpec>]>([
    ["twap", { kind: "twap", horizonMs: 30 * MIN, intervalMs: 3 * MIN, sizeJitter: 0.2, timeJitter: 0.5 }, {}],
    ["vwap", { kind: "vwap", horizonMs: 30 * MIN, intervalMs: 5 * MIN, profile: learnVolumeProfile([{ ts: 0, volume: 3 }], 5 * MIN) }, {}],
    ["iceberg", { kind: "iceberg", displayQty: D("0.1"), displayJitter: 0.3, horizonMs: null }, { limitPrice: D("20000") }],
    ["pov", { kind: "pov", rate: D("0.1"), maxSliceQty: D("0.2"), horizonMs: 60 * MIN }, {}],
    ["chaser", { kind: "chaser", entryPrice: D("19990"), timeoutMs: 30_000, retryAttempts: 2 }, {}],
  ])("%s", (_, algo, over) => {
    const started = startParent(spec(algo, over), { now: 0, instrument: BTC });
    if (!started.ok) throw new Error(started.error.message);
    const store = new PartsStore(started.value.state);
    let steps = 0;
    const last = drive(started.value.state, started.value.intents, (state) => {
      store.save(state);
      const loaded = store.load();
      if (!loaded.ok) throw new Error(loaded.error.message);
      expect(serializeParentState(loaded.value)).toBe(serializeParentState(state));
      steps++;
    });
    expect(steps).toBeGreaterThan(5);
    expect(last.children.length).toBeGreaterThan(1);
    // A step writes the children it changed (at most the one it finished and the one it placed), never all again.
    expect(Math.max(...store.writtenChildren)).toBeLessThanOrEqual(2);
    // The progress carries neither the spec nor the schedule nor the children.
    expect(store.progress).not.toContain('"spec"');
    expect(store.progress).not.toContain('"children"');
    expect(store.progress).not.toContain('"slices"');
  });

  it("a whole state with no parts is read as it is", () => {
    const started = startParent(spec({ kind: "twap", horizonMs: 10 * MIN, intervalMs: MIN, sizeJitter: 0, timeJitter: 0 }), { now: 0, instrument: BTC });
    if (!started.ok) throw new Error(started.error.message);
    const text = serializeParentState(started.value.state);
    expect(parseStoredParent({ state: text, progress: null, children: [] })).toEqual(parseParentState(text));
  });

  it.each<[string, { progress: string | null; children: string[] }, string]>([
    ["progress that is not JSON", { progress: "{", children: [] }, "is not JSON"],
    ["a child that is not JSON", { progress: null, children: ["nope"] }, "is not JSON"],
    ["progress of another version", { progress: '{"version":2,"plan":{"kind":"schedule","next":1}}', children: [] }, "not a version 1 parent progress"],
    ["a schedule's progress on a parent without one", { progress: '{"version":1,"plan":{"kind":"schedule","next":1}}', children: [] }, "its state none"],
  ])("refuses %s", (_, parts, message) => {
    const started = startParent(spec({ kind: "iceberg", displayQty: D("0.1"), displayJitter: 0, horizonMs: null }, { limitPrice: D("20000") }), {
      now: 0,
      instrument: BTC,
    });
    if (!started.ok) throw new Error(started.error.message);
    const parsed = parseStoredParent({ state: serializeParentState(started.value.state), ...parts });
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error.message).toContain(message);
  });
});
