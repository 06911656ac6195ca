/**
 * restart_recovery_ms_10k_orders: how long a restart takes when the journal holds 10 000 orders.
 *
 * Each variant builds a database and a durable venue file, closes both, then times a
 * restart over the same files: opening the store and the venue (which restores its own state), then
 * `new Engine(...)` + `await engine.start()` (restore from the journal + reconcile with the venue).
 *
 *  - open: 10 000 resting LIMIT buys far below the market, all still open. Recovery loads 10 000 open orders
 *    and asks the venue about each. Written with the store API (the rows the engine writes for a manual
 *    LIMIT order), with a simulator that accepted the same orders saved to the venue's file in one commit
 *    (its venue-wide head and one row per order, as the durable venue writes them). Placing them through
 *    the engine is its own bench now (resting_limits_ms_10k, resting-limits.ts); it used to take over a minute,
 *    when the gate summed every open order and the venue rewrote its whole snapshot per request.
 *  - filled: 9 990 signals alternating BUY/SELL (9 990 filled orders, 4 995 closed trades), then 10 open
 *    LIMIT orders: 10 000 orders. Built through the engine with the durable venue (synchronous NORMAL while
 *    building, about 25 s).
 *
 * Each restart is timed twice over: in a fresh child process (cold JIT, as a real restart; module loading
 * is not counted) and in this process (warm JIT, best of 2).
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { rmSync } from "node:fs";
import { ManualClock } from "../../server/core/clock";
import { D } from "../../server/core/money";
import { applyOrderEvent, createOrder, validateOrderSpec, type OrderSpec } from "../../server/core/orders";
import { openPosition } from "../../server/core/positions";
import { MatchingEngine } from "../../server/core/sim/matching-engine";
import { openSqliteStore } from "../../server/db/sqlite-store";
import { SimStateFile } from "../../server/venues/sim/sim-state";
import {
  BENCH_CAPITAL,
  BENCH_INSTRUMENT,
  BENCH_SYMBOL,
  closeDesk,
  makeDeskFiles,
  openDesk,
  quote,
  removeDeskFiles,
  tradeSignals,
  type Desk,
  type DeskFiles,
} from "./desk";
import { timeRestart, type RestartTiming } from "./restart-timing";

export interface RestartVariantResult {
  /** Orders in the journal when the engine restarts, and how many of them are open. */
  orders: number;
  openOrders: number;
  buildMs: number;
  build: string;
  /** A fresh process, as a real restart (cold JIT); timed inside the child, module loading excluded. */
  cold: RestartTiming;
  /** The best of a few restarts in this process (warm JIT): the cost of the work itself. */
  warm: RestartTiming;
}

export interface RestartBenchResult {
  name: string;
  unit: "ms";
  /** The open-orders variant's cold engine start: new Engine + start (restore + reconcile). */
  value: number;
  open: RestartVariantResult;
  filled: RestartVariantResult;
}

const TRADER = { username: "bench", role: "trader" as const };

async function placeRestingLimits(desk: Desk, n: number, log?: (line: string) => void): Promise<void> {
  for (let i = 0; i < n; i++) {
    desk.clock.advance(10);
    const result = await desk.engine.execute({
      kind: "manualOrder",
      order: { symbol: BENCH_SYMBOL, side: "BUY", type: "LIMIT", quantity: "0.001", price: "10000" },
      actor: TRADER,
      reason: null,
    });
    if (!result.ok) throw new Error(`BENCH_ORDER_REFUSED: resting order ${i + 1} was refused: ${result.error.code} ${result.error.message}`);
    if (log && (i + 1) % 2000 === 0) log(`  open orders placed: ${i + 1}/${n}`);
  }
}

/**
 * Writes `n` resting LIMIT buys the way the engine journals a manual order (position OPENING with the first
 * order; per order: intent, submit, the venue's accept, the order row, an audit row), with the store API,
 * and has a simulator accept the same orders, whose state is then written to the venue's file in one commit
 * (the venue-wide head and a row per order, the format SimVenue writes).
 */
export function writeRestingLimits(files: DeskFiles, n: number, now: number, log?: (line: string) => void): void {
  const store = openSqliteStore({ path: files.dbPath, clock: { now: () => now } });
  const sim = new MatchingEngine({ instruments: [BENCH_INSTRUMENT], initialBalances: { USDT: BENCH_CAPITAL } });
  sim.onMarketData({ kind: "quote", symbol: BENCH_SYMBOL, bid: 19_999.5, ask: 20_000.5 }, now);
  const positionId = "pos-bench-1";
  const chunk = 1000;
  try {
    for (let from = 0; from < n; from += chunk) {
      store.transaction(() => {
        for (let i = from; i < Math.min(n, from + chunk); i++) {
          const ts = now + i * 10;
          const clientOrderId = `bst-bench-${i + 1}`;
          const spec: OrderSpec = {
            clientOrderId,
            symbol: BENCH_SYMBOL,
            side: "BUY",
            type: "LIMIT",
            quantity: "0.001",
            price: "10000",
            timeInForce: "GTC",
            postOnly: false,
            reduceOnly: false,
            tags: { positionId, reason: "entry", strategy: "manual", manualBy: TRADER.username },
            venue: "sim",
          };
          const checked = validateOrderSpec(spec, { instrument: BENCH_INSTRUMENT, market: { bid: 19_999.5, ask: 20_000.5, last: 20_000 }, now: ts });
          if (!checked.ok) throw new Error(`BENCH_ORDER_INVALID: ${checked.error.code} ${checked.error.message}`);
          const normalized = checked.value;
          if (i === 0) {
            const position = openPosition({ id: positionId, symbol: BENCH_SYMBOL, side: "LONG", ts });
            store.savePosition(
              position,
              { state: null, entryOrderId: clientOrderId, stopLoss: null, takeProfit: null },
              { strategy: "manual", signalId: null },
            );
          }
          const meta = { venue: "sim", positionId, requestedPrice: D(normalized.price!) };
          const submitted = applyOrderEvent(createOrder({ ...normalized, ts }), { type: "submit", ts });
          if (!submitted.ok) throw new Error(`BENCH_FSM: ${submitted.error.message}`);
          let order = submitted.order;
          store.appendJournal({ clientOrderId, type: "intent", source: "engine", payload: normalized, applied: true, ts });
          store.appendJournal({ clientOrderId, type: "submit", source: "engine", payload: { type: "submit", ts }, applied: true, ts });
          store.saveOrder(order, meta);
          for (const { event } of sim.submit({ ...normalized, ts }, ts)) {
            const applied = applyOrderEvent(order, event);
            if (!applied.ok) throw new Error(`BENCH_FSM: ${applied.error.message}`);
            order = applied.order;
            store.appendJournal({ clientOrderId, type: event.type, source: "venue", payload: event, applied: true, ts });
            store.saveOrder(order, meta);
          }
          if (order.status !== "ACCEPTED") throw new Error(`BENCH_ORDER_NOT_RESTING: ${clientOrderId} is ${order.status}, not ACCEPTED.`);
          store.appendAudit({
            ts,
            actor: TRADER.username,
            role: TRADER.role,
            action: "manual_order",
            target: BENCH_SYMBOL,
            reason: null,
            params: spec,
            result: "OK",
            detail: "bench",
          });
        }
      });
      if (log && (from + chunk) % 5000 === 0) log(`  open orders written: ${Math.min(n, from + chunk)}/${n}`);
    }
    const state = new SimStateFile(files.venuePath, "sim");
    try {
      const orders = sim.toSnapshot({ history: false }).orders.map((record) => ({ record, done: false }));
      state.commit({ snapshot: sim.toSnapshot({ ordersElsewhere: true }), ordersInRows: true, fills: [], orders, now: now + n * 10 });
    } finally {
      state.close();
    }
  } finally {
    store.close();
  }
}

async function buildOpen(files: DeskFiles, orders: number, log?: (line: string) => void): Promise<{ clock: ManualClock; note: string }> {
  // The engine's own start first (accounting, balances, equity), as on a desk that ran before.
  const desk = openDesk(files.dbPath, { venuePath: files.venuePath });
  await desk.engine.start();
  await closeDesk(desk);
  rmSync(files.venuePath, { force: true });
  writeRestingLimits(files, orders, desk.clock.now() + 1000, log);
  const clock = new ManualClock(desk.clock.now() + 1000 + orders * 10);
  return {
    clock,
    note: "store API (saveOrder, appendJournal, savePosition, appendAudit: the rows the engine writes for a manual LIMIT order) + a simulator that accepted the same orders, written to the venue's state file in one commit (head + a row per order); placing them through the engine is resting_limits_ms_10k",
  };
}

async function buildFilled(files: DeskFiles, signals: number, open: number, log?: (line: string) => void): Promise<{ clock: ManualClock; note: string }> {
  const desk = openDesk(files.dbPath, { venuePath: files.venuePath, venueSynchronous: "NORMAL" });
  await desk.engine.start();
  await quote(desk);
  await tradeSignals(desk, signals, (done) => {
    if (done % 2000 === 0) log?.(`  filled signals: ${done}/${signals}`);
  });
  await placeRestingLimits(desk, open);
  await closeDesk(desk);
  return { clock: desk.clock, note: "engine (signals + manual LIMIT orders, SQLite journal) + durable venue" };
}

const ROOT = join(import.meta.dirname, "..", "..");

function coldRestart(files: DeskFiles, now: number): RestartTiming {
  const child = spawnSync(process.execPath, ["--import", "tsx", join(import.meta.dirname, "restart-child.ts"), files.dbPath, files.venuePath, String(now)], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 120_000,
  });
  if (child.status !== 0) throw new Error(`BENCH_RESTART_FAILED: the restart process exited with ${String(child.status)}: ${child.stderr.trim()}`);
  return JSON.parse(child.stdout.trim().split("\n").at(-1) ?? "") as RestartTiming;
}

async function variant(
  kind: "open" | "filled",
  orders: number,
  build: (files: DeskFiles) => Promise<{ clock: ManualClock; note: string }>,
  expectOpen: number,
  log?: (line: string) => void,
): Promise<RestartVariantResult> {
  // Built on tmpfs where there is one: building is not what this bench measures (the filled variant's 10 000
  // signals take half as long without disk writes), and the timed restart reads files the build just wrote,
  // from the page cache, on a disk as on tmpfs.
  const files = makeDeskFiles(`restart-${kind}`, { inMemoryFs: true });
  try {
    const started = performance.now();
    const { clock, note } = await build(files);
    const buildMs = Math.round(performance.now() - started);
    log?.(`  ${kind}: built ${orders} orders in ${buildMs} ms; restarting`);
    const cold = coldRestart(files, clock.now() + 60_000);
    let warm: RestartTiming | null = null;
    for (let i = 0; i < 2; i++) {
      const timing = await timeRestart(files, clock.now() + 120_000 + i * 1000);
      if (!warm || timing.engineStartMs < warm.engineStartMs) warm = timing;
    }
    for (const timing of [cold, warm!]) {
      if (timing.restoredOpenOrders !== expectOpen) {
        throw new Error(`BENCH_RESTORE_MISMATCH: ${expectOpen} open orders were left, the restarted engine has ${timing.restoredOpenOrders}.`);
      }
    }
    return { orders, openOrders: expectOpen, buildMs, build: note, cold, warm: warm! };
  } finally {
    removeDeskFiles(files);
  }
}

export async function restartRecoveryBench(options: {
  name: string;
  orders?: number;
  openInFilled?: number;
  log?: (line: string) => void;
}): Promise<RestartBenchResult> {
  const orders = options.orders ?? 10_000;
  const openInFilled = options.openInFilled ?? 10;
  const filledSignals = orders - openInFilled;
  if (filledSignals % 2 !== 0) throw new Error("BENCH_ODD_SIGNALS: the filled variant needs an even number of signals.");
  const open = await variant("open", orders, (files) => buildOpen(files, orders, options.log), orders, options.log);
  const filled = await variant("filled", orders, (files) => buildFilled(files, filledSignals, openInFilled, options.log), openInFilled, options.log);
  return { name: options.name, unit: "ms", value: open.cold.engineStartMs, open, filled };
}
