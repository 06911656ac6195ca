/**
 * resting_limits_ms_10k: placing 10 000 resting LIMIT buys through the engine, as a trader does from the
 * Orders page, on SQLite with the durable simulated venue keeping its tables in the desk's database (as a new replay
 * desk runs it: SimVenue `desk`). Each order is validated, risk-checked (the gate counts every open order's reserved
 * notional), journaled, sent to the venue (which saves what changed, in the intent's transaction) and accepted — one
 * commit per order. The orders rest far below the market, so all of them stay open: the 10 000th order is placed with
 * 9 999 others working. `ownFile`: the same with the venue in a state file of its own (a desk that already had one;
 * three commits per order: the intent, the venue's file, the acceptance).
 *
 * Placing must cost the same with 10 resting orders as with 10 000: besides the total, the bench reports the
 * mean µs per order of the first and the last 100 orders and their ratio (the first pay the JIT's warm-up, so the
 * ratio reads below 1), and the fair comparison: after the big run, with the code warm, a fresh desk keeps 10 orders
 * resting and places more one at a time, each canceled (untimed) after it was placed (`at10UsPerOrder`: exactly 10
 * resting), against the last `window` of the big run (`at10kUsPerOrder`), medians of both; `at10kOverAt10` ≈ 1 when placing does not grow with the open orders.
 * Closing must not grow with them either: on both desks, once the orders rest, `roundTrips` BUY signals each followed by
 * a SELL that closes the position (a market order, a fill, a closed position, a trade) are timed; `closeAt10kOverAt10`
 * compares the medians (a close looks at its own position's orders, not at every open order).
 * Target: under 2 s in all.
 * Synchronous NORMAL for the journal and the venue file, as the runtime opens them in replay and paper mode;
 * files on tmpfs where there is one (what is measured is the work per order, not the disk).
 */
import { benchSignal, closeDesk, makeDeskFiles, openDesk, quote, removeDeskFiles, BENCH_SYMBOL } from "./desk";

export const RESTING_LIMITS_TARGET_MS = 2000;

export interface RestingLimitsBenchResult {
  name: string;
  unit: "ms";
  /** Total time to place all the orders (the placing calls only). */
  value: number;
  /** CPU time of the process while placing them (steadier than wall time on a shared machine), ms. */
  cpuMs: number;
  target: number;
  meetsTarget: boolean;
  orders: number;
  /** Mean µs per order over the first and the last `window` orders, and last / first. */
  window: number;
  firstUsPerOrder: number;
  lastUsPerOrder: number;
  lastOverFirst: number;
  /** Warm: median µs per order with exactly 10 resting, and with ~10 000 resting (the last window); ratio. */
  at10UsPerOrder: number;
  at10kUsPerOrder: number;
  at10kOverAt10: number;
  openAtEnd: number;
  /** Warm: median µs per round trip (open by a BUY signal, close by a SELL) with 10 resting and with ~10 000; ratio. */
  roundTrips: number;
  closeAt10UsPerRoundTrip: number;
  closeAt10kUsPerRoundTrip: number;
  closeAt10kOverAt10: number;
  /** The big run with the venue in a state file of its own: total and CPU ms. */
  ownFile: { value: number; cpuMs: number };
}

const TRADER = { username: "bench", role: "trader" as const };

const LIMIT_ORDER = { symbol: BENCH_SYMBOL, side: "BUY" as const, type: "LIMIT" as const, quantity: "0.001", price: "10000" };

/**
 * Places `orders` resting limits on a fresh desk; the µs each took, the CPU ms of the loop, and how many stayed open.
 * With `holdAt`, only the first `holdAt` orders stay: every later one is canceled (untimed) once placed, so each is
 * placed with exactly `holdAt` others resting.
 */
async function placeResting(
  orders: number,
  options: { holdAt?: number; ownFile?: boolean; roundTrips?: number; onProgress?: (placed: number) => void } = {},
): Promise<{ times: Float64Array; elapsedMs: number; cpuMs: number; openAtEnd: number; roundTripTimes: Float64Array }> {
  const files = makeDeskFiles("resting", { inMemoryFs: true });
  try {
    const desk = openDesk(files.dbPath, { venuePath: files.venuePath, venueSynchronous: "NORMAL", venueInDesk: options.ownFile !== true });
    await desk.engine.start();
    await quote(desk);
    const times = new Float64Array(orders);
    let elapsed = 0;
    let cpuUs = 0;
    for (let i = 0; i < orders; i++) {
      desk.clock.advance(10);
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      const result = await desk.engine.execute({ kind: "manualOrder", order: LIMIT_ORDER, actor: TRADER, reason: null });
      times[i] = (performance.now() - t0) * 1000;
      elapsed += times[i]! / 1000;
      const cpu = process.cpuUsage(cpu0);
      cpuUs += cpu.user + cpu.system;
      if (!result.ok) throw new Error(`BENCH_ORDER_REFUSED: resting order ${i + 1} was refused: ${result.error.code} ${result.error.message}`);
      if (options.holdAt !== undefined && i >= options.holdAt) {
        const clientOrderId = String(result.data?.clientOrderId);
        const canceled = await desk.engine.execute({ kind: "cancelOrder", clientOrderId, actor: TRADER, reason: null });
        if (!canceled.ok) throw new Error(`BENCH_CANCEL_REFUSED: ${canceled.error.code} ${canceled.error.message}`);
      }
      options.onProgress?.(i + 1);
    }
    const openAtEnd = desk.engine.state().openOrders.length;
    const roundTripTimes = new Float64Array(options.roundTrips ?? 0);
    for (let i = 0; i < roundTripTimes.length; i++) {
      const t0 = performance.now();
      for (const action of ["BUY", "SELL"] as const) {
        desk.clock.advance(100);
        const result = await desk.engine.execute({ kind: "signal", signal: benchSignal(action, desk.clock.now()), source: "bench" });
        if (!result.ok) throw new Error(`BENCH_SIGNAL_REFUSED: round trip ${i + 1} (${action}) was refused: ${result.error.code} ${result.error.message}`);
      }
      roundTripTimes[i] = (performance.now() - t0) * 1000;
    }
    if (desk.engine.openPosition(BENCH_SYMBOL) !== null) throw new Error("BENCH_NOT_CLOSED: a round trip left its position open.");
    await closeDesk(desk);
    const expected = options.holdAt === undefined ? orders : Math.min(orders, options.holdAt);
    if (openAtEnd !== expected) throw new Error(`BENCH_NOT_RESTING: ${expected} orders should rest, ${openAtEnd} are open.`);
    return { times, elapsedMs: elapsed, cpuMs: cpuUs / 1000, openAtEnd, roundTripTimes };
  } finally {
    removeDeskFiles(files);
  }
}

/** Median: on a shared machine a preempted or GC-paused order would move a mean. */
const medianOf = (times: Float64Array, from: number, to: number): number => {
  const s = Array.from(times.subarray(from, to)).sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
};

const meanOf = (times: Float64Array, from: number, to: number): number => {
  let sum = 0;
  for (let i = from; i < to; i++) sum += times[i]!;
  return sum / Math.max(1, to - from);
};

export async function restingLimitsBench(options: {
  name: string;
  orders: number;
  window?: number;
  /** BUY-then-SELL round trips timed on each desk once its orders rest (default 50). */
  roundTrips?: number;
  log?: (line: string) => void;
}): Promise<RestingLimitsBenchResult> {
  const window = Math.min(options.window ?? 100, Math.floor(options.orders / 2));
  const log = options.log;
  const roundTrips = options.roundTrips ?? 50;
  const big = await placeResting(options.orders, {
    roundTrips,
    onProgress: (n) => {
      if (log && n % 2000 === 0) log(`  ${options.name}: ${n}/${options.orders} orders placed`);
    },
  });
  // The same code, warm now, on a desk that keeps 10 resting: each order is placed with 10 others open (then canceled,
  // untimed). Three windows, the last one measured: the desk's own first orders (a new connection) are left out.
  const small = await placeResting(10 + 3 * window, { holdAt: 10, roundTrips });
  const ownFile = await placeResting(options.orders, { ownFile: true });
  const first = meanOf(big.times, 0, window);
  const last = meanOf(big.times, options.orders - window, options.orders);
  const at10 = medianOf(small.times, 10 + 2 * window, 10 + 3 * window);
  const at10k = medianOf(big.times, options.orders - window, options.orders);
  const closeAt10 = medianOf(small.roundTripTimes, 0, roundTrips);
  const closeAt10k = medianOf(big.roundTripTimes, 0, roundTrips);
  return {
    name: options.name,
    unit: "ms",
    value: Math.round(big.elapsedMs),
    cpuMs: Math.round(big.cpuMs),
    target: RESTING_LIMITS_TARGET_MS,
    meetsTarget: big.elapsedMs < RESTING_LIMITS_TARGET_MS,
    orders: options.orders,
    window,
    firstUsPerOrder: Math.round(first),
    lastUsPerOrder: Math.round(last),
    lastOverFirst: Math.round((last / first) * 100) / 100,
    at10UsPerOrder: Math.round(at10),
    at10kUsPerOrder: Math.round(at10k),
    at10kOverAt10: Math.round((at10k / at10) * 100) / 100,
    openAtEnd: big.openAtEnd,
    roundTrips,
    closeAt10UsPerRoundTrip: Math.round(closeAt10),
    closeAt10kUsPerRoundTrip: Math.round(closeAt10k),
    closeAt10kOverAt10: Math.round((closeAt10k / closeAt10) * 100) / 100,
    ownFile: { value: Math.round(ownFile.elapsedMs), cpuMs: Math.round(ownFile.cpuMs) },
  };
}
