/**
 * resting_limits_ms_10k: placing 10 000 resting LIMIT buys through the engine, as a trader does from the
 * Orders page, on SQLite with the durable simulated venue (its own state file, as the desk runs in replay
 * mode). Each order is validated, risk-checked (the gate counts every open order's reserved notional),
 * journaled, sent to the venue (which saves what changed) and accepted. The orders rest far below the market,
 * so all of them stay open: the 10 000th order is placed with 9 999 others working.
 *
 * Placing must cost the same with 10 resting orders as with 10 000: besides the total, the bench reports the
 * mean µs per order of the first and the last 100 orders and their ratio (flat ≈ 1). Target: under 2 s in all.
 * Synchronous NORMAL for the journal and the venue file, as the runtime opens them in replay and paper mode;
 * files on tmpfs where there is one (what is measured is the work per order, not the disk).
 */
import { closeDesk, makeDeskFiles, openDesk, quote, removeDeskFiles, BENCH_SYMBOL } from "./desk";

export const RESTING_LIMITS_TARGET_MS = 2000;

export interface RestingLimitsBenchResult {
  name: string;
  unit: "ms";
  /** Total time to place all the orders. */
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
  openAtEnd: number;
}

const TRADER = { username: "bench", role: "trader" as const };

export async function restingLimitsBench(options: {
  name: string;
  orders: number;
  window?: number;
  log?: (line: string) => void;
}): Promise<RestingLimitsBenchResult> {
  const window = Math.min(options.window ?? 100, Math.floor(options.orders / 2));
  const files = makeDeskFiles("resting", { inMemoryFs: true });
  try {
    const desk = openDesk(files.dbPath, { venuePath: files.venuePath, venueSynchronous: "NORMAL" });
    await desk.engine.start();
    await quote(desk);
    const times = new Float64Array(options.orders);
    const start = performance.now();
    const cpuStart = process.cpuUsage();
    for (let i = 0; i < options.orders; i++) {
      desk.clock.advance(10);
      const t0 = performance.now();
      const result = await desk.engine.execute({
        kind: "manualOrder",
        order: { symbol: BENCH_SYMBOL, side: "BUY", type: "LIMIT", quantity: "0.001", price: "10000" },
        actor: TRADER,
        reason: null,
      });
      times[i] = performance.now() - t0;
      if (!result.ok) throw new Error(`BENCH_ORDER_REFUSED: resting order ${i + 1} was refused: ${result.error.code} ${result.error.message}`);
      if (options.log && (i + 1) % 2000 === 0) options.log(`  ${options.name}: ${i + 1}/${options.orders} orders placed`);
    }
    const elapsed = performance.now() - start;
    const cpu = process.cpuUsage(cpuStart);
    const openAtEnd = desk.engine.state().openOrders.length;
    await closeDesk(desk);
    if (openAtEnd !== options.orders) throw new Error(`BENCH_NOT_RESTING: ${options.orders} orders were placed, ${openAtEnd} are open.`);
    const meanUs = (from: number, to: number) => {
      let sum = 0;
      for (let i = from; i < to; i++) sum += times[i]!;
      return (sum * 1000) / Math.max(1, to - from);
    };
    const first = meanUs(0, window);
    const last = meanUs(options.orders - window, options.orders);
    return {
      name: options.name,
      unit: "ms",
      value: Math.round(elapsed),
      cpuMs: Math.round((cpu.user + cpu.system) / 1000),
      target: RESTING_LIMITS_TARGET_MS,
      meetsTarget: elapsed < RESTING_LIMITS_TARGET_MS,
      orders: options.orders,
      window,
      firstUsPerOrder: Math.round(first),
      lastUsPerOrder: Math.round(last),
      lastOverFirst: Math.round((last / first) * 100) / 100,
      openAtEnd,
    };
  } finally {
    removeDeskFiles(files);
  }
}
