/**
 * `npm run bench`: throughput of the hot paths, printed as one JSON object on stdout (progress on stderr).
 * Targets live here, never in timed unit tests (the machines are shared and noisy).
 *
 * `npm run bench -- --only backtest,signals` runs only the benches whose names contain one of the words
 * (fsm, pretrade, sim, backtest, cold, signals, resting, restart, history, render, algo, twap).
 *
 * Core hot paths (this file): FSM events, pre-trade checks, simulated fills.
 * Engine benches (scripts/bench/): the engine backtest in candles/s against the 1,000,000 target, signals end
 * to end with the journal on SQLite, placing 10 000 resting limits through the engine with the durable venue
 * (resting-limits.ts: total against the 2 s target, and the cost of the first and last 100 orders, which must
 * be the same), and restart recovery with 10 000 orders in the journal; parent orders (scripts/bench/algos.ts): TWAP
 * slices per second through the gate, and a 100-slice TWAP's execution cost in a backtest against one market order.
 *
 * Cold run (scripts/bench/cold.ts): one fresh `npm run backtest` process on the shared 30,240-candle 1-minute file
 * against the same strategy in grademark 0.3.0 (installed with npm into a temp dir on first use), each in a fresh
 * process, and the same on ten copies of the file end to end (302,400 candles); `--cold-data FILE` picks another file.
 *
 * Dashboard benches (scripts/bench/): History's queries on 1,000,000 closed trades through the real tRPC router
 * (history.ts), and the time to first render of the overview and the Positions page with 500 open positions in
 * chromium against the built app (render.ts; skipped with a note when there is no `npm run build` output).
 *
 * A speed change keeps every backtest report byte-identical: `scripts/bench/report-digest.ts` prints the digests of six
 * reports before a change and checks them after (`--check FILE`).
 *
 * Profiling: `node -C react-server --import tsx --cpu-prof --cpu-prof-dir=/tmp/prof scripts/bench.ts --only backtest_candles`,
 * then `npx tsx scripts/bench/profile-summary.ts /tmp/prof/<largest>.cpuprofile`.
 */
import { resolve } from "node:path";
import { makeInstrument } from "../server/core/instrument";
import { D, type Decimal } from "../server/core/money";
import { applyOrderEvent, createOrder, type Order, type OrderEvent } from "../server/core/orders";
import { checkPreTrade, type PreTradeInput } from "../server/core/risk";
import { MatchingEngine } from "../server/core/sim";
import { slicesBench, twapVsMarketBench } from "./bench/algos";
import { backtestBench, benchCandles } from "./bench/backtest";
import { coldBench } from "./bench/cold";
import { historyBench } from "./bench/history";
import { renderBench } from "./bench/render";
import { restartRecoveryBench } from "./bench/restart-recovery";
import { restingLimitsBench } from "./bench/resting-limits";
import { signalsSqliteBench } from "./bench/signals-sqlite";

interface BenchResult {
  name: string;
  unit: string;
  value: number;
  iterations: number;
  elapsedMs: number;
}

/** Runs `body` (which performs `perCall` operations) until at least `minMs` have passed; reports the best of 3 rounds. */
function measure(name: string, unit: string, perCall: number, body: () => void, minMs = 400): BenchResult {
  for (let i = 0; i < 3; i++) body(); // warm-up
  let best = 0;
  let bestIterations = 0;
  let bestElapsed = 0;
  for (let round = 0; round < 3; round++) {
    let calls = 0;
    const start = performance.now();
    let elapsed: number;
    do {
      body();
      calls++;
      elapsed = performance.now() - start;
    } while (elapsed < minMs);
    const rate = (calls * perCall * 1000) / elapsed;
    if (rate > best) {
      best = rate;
      bestIterations = calls * perCall;
      bestElapsed = elapsed;
    }
  }
  return { name, unit, value: Math.round(best), iterations: bestIterations, elapsedMs: Math.round(bestElapsed) };
}

function fsmBench(): BenchResult {
  // One full lifecycle: submit, accept, 8 partial fills, … = 10 events per order.
  const fills: OrderEvent[] = Array.from({ length: 8 }, (_, i) => ({ type: "fill", tradeId: `t${i}`, qty: "0.125", price: 30000 + i, fee: "0.01" }));
  const events: OrderEvent[] = [{ type: "submit" }, { type: "accept", venueOrderId: "v1" }, ...fills];
  let n = 0;
  return measure("fsm_events_per_sec", "events/s", 100 * events.length, () => {
    for (let k = 0; k < 100; k++) {
      let order: Order = createOrder({ clientOrderId: `b-${n++}`, symbol: "BTC/USDT", side: "BUY", type: "LIMIT", quantity: "1", price: "30010" });
      for (const e of events) {
        const r = applyOrderEvent(order, e);
        if (!r.ok) throw new Error(`bench FSM refused ${e.type}: ${r.error.message}`);
        order = r.order;
      }
      if (order.status !== "FILLED") throw new Error("bench order did not fill");
    }
  });
}

function preTradeBench(): BenchResult {
  const symbols = Array.from({ length: 20 }, (_, i) => `C${i}/USDT`);
  const input: PreTradeInput = {
    order: { symbol: "BTC/USDT", side: "BUY", quantity: D("0.01"), price: D("30000"), reduceOnly: false, confidence: 0.8, expectedSlippageBps: 3 },
    tradingState: "ACTIVE",
    portfolio: {
      equity: D("100000"),
      availableQuote: D("50000"),
      positions: symbols.map((symbol) => ({ symbol, side: "LONG" as const, qty: D("1"), markPrice: D("100") })),
    },
    recentOrderTimestamps: Array.from({ length: 10 }, (_, i) => 1_000_000 - i * 1000),
    now: 1_000_000,
    limits: {
      maxOpenPositions: 50,
      maxPortfolioExposurePct: 300,
      minNotional: D("10"),
      maxSlippageBps: 50,
      maxOrdersPerMinute: 120,
      minConfidence: 0.5,
      maxNotionalPerOrder: D("20000"),
      maxPositionQty: D("5"),
      perSymbol: { "BTC/USDT": { maxSymbolExposurePct: 50 } },
    },
  };
  return measure("pretrade_checks_per_sec", "checks/s", 1000, () => {
    for (let k = 0; k < 1000; k++) {
      const r = checkPreTrade(input);
      if (!r.ok) throw new Error(`bench order denied: ${r.error.message}`);
    }
  });
}

const BTC = makeInstrument({ symbol: "BTC/USDT", priceTick: "0.01", qtyStep: "0.00001", makerFee: "0.001", takerFee: "0.001" });

function simMarketBench(): BenchResult {
  let n = 0;
  return measure("sim_market_fills_per_sec", "fills/s", 1000, () => {
    const venue = new MatchingEngine({ instruments: [BTC], initialBalances: { USDT: "1000000000", BTC: "100000" }, slippage: { model: "FIXED", bps: 2 } });
    venue.onMarketData({ kind: "quote", symbol: "BTC/USDT", bid: 29999.5, ask: 30000.5 }, 0);
    let fills = 0;
    for (let k = 0; k < 1000; k++) {
      const side = k % 2 === 0 ? "BUY" : "SELL";
      const events = venue.submit({ clientOrderId: `m-${n++}`, symbol: "BTC/USDT", side, type: "MARKET", quantity: "0.01" }, k);
      for (const e of events) if (e.event.type === "fill") fills++;
    }
    if (fills !== 1000) throw new Error(`expected 1000 market fills, got ${fills}`);
  });
}

function simLimitBench(): BenchResult {
  let n = 0;
  return measure("sim_limit_fills_per_sec", "fills/s", 1000, () => {
    const venue = new MatchingEngine({ instruments: [BTC], initialBalances: { USDT: "1000000000", BTC: "100000" } });
    venue.onMarketData({ kind: "trade", symbol: "BTC/USDT", price: 30000, qty: 1 }, 0);
    let fills = 0;
    for (let k = 0; k < 1000; k++) {
      venue.submit({ clientOrderId: `l-${n++}`, symbol: "BTC/USDT", side: "BUY", type: "LIMIT", quantity: "0.01", price: "29990" }, k);
      const events = venue.onMarketData({ kind: "trade", symbol: "BTC/USDT", price: 29980, qty: 5, aggressor: "SELL" }, k);
      for (const e of events) if (e.event.type === "fill") fills++;
    }
    if (fills !== 1000) throw new Error(`expected 1000 limit fills, got ${fills}`);
  });
}

function decimalSanity(): Decimal {
  // Keeps the exactness claim next to the numbers: 1e5 fee additions of 0.001 are exactly 100.
  let total = D(0);
  for (let i = 0; i < 100_000; i++) total = total.plus("0.001");
  return total;
}

function onlyFilter(argv: readonly string[]): (name: string) => boolean {
  const i = argv.indexOf("--only");
  const words =
    i >= 0
      ? (argv[i + 1] ?? "")
          .split(",")
          .map((w) => w.trim())
          .filter(Boolean)
      : [];
  return (name) => words.length === 0 || words.some((w) => name.includes(w));
}

const log = (line: string) => process.stderr.write(`${line}\n`);

async function main(): Promise<void> {
  const wanted = onlyFilter(process.argv.slice(2));
  const started = performance.now();
  const results: Record<string, unknown> = {};
  const core: [string, () => BenchResult][] = [
    ["fsm_events_per_sec", fsmBench],
    ["pretrade_checks_per_sec", preTradeBench],
    ["sim_market_fills_per_sec", simMarketBench],
    ["sim_limit_fills_per_sec", simLimitBench],
  ];
  for (const [name, bench] of core) {
    if (!wanted(name)) continue;
    log(`bench: ${name}`);
    const r = bench();
    results[r.name] = { value: r.value, unit: r.unit, iterations: r.iterations, elapsedMs: r.elapsedMs };
  }

  if (wanted("backtest_candles_per_sec")) {
    log("bench: backtest_candles_per_sec (sma-cross 10/30, fee 10 bps, slippage 2 bps)");
    const candles = benchCandles();
    for (const [name, qtyStep] of [
      ["backtest_candles_per_sec", null],
      ["backtest_candles_per_sec_qty_step", "0.00001"],
    ] as const) {
      const { name: _n, ...rest } = backtestBench({ name, qtyStep, candles, warmupRuns: 5, timedRuns: 25, log });
      results[name] = rest;
    }
  }

  if (wanted("algo_slices_per_sec")) {
    log("bench: algo_slices_per_sec (TWAP slices through the risk gate, journal and simulator)");
    slicesBench({ slices: 100, log: () => undefined }); // warm-up
    // The parent's whole state is saved on every step (its children included): the rate falls as a parent grows.
    results.algo_slices_per_sec = slicesBench({ slices: 100, log });
    results.algo_slices_per_sec_500_slice_parent = slicesBench({ slices: 500, log });
  }

  if (wanted("twap_100_vs_market")) {
    log("bench: twap_100_vs_market (sma-cross 10/30 on the 5m recording: 100-slice TWAP entries and exits vs one market order each)");
    results.twap_100_vs_market = twapVsMarketBench(log);
  }

  if (wanted("backtest_cold_1m")) {
    log("bench: backtest_cold_1m (one cold `npm run backtest` process vs grademark 0.3.0, sma-cross 10/30, 1m candles)");
    const i = process.argv.indexOf("--cold-data");
    const data = i >= 0 ? process.argv[i + 1] : undefined;
    const { name: _c, ...cold } = coldBench({ name: "backtest_cold_1m", ...(data ? { data: resolve(data) } : {}), log });
    results.backtest_cold_1m = cold;
    log("bench: backtest_cold_1m_x10 (the same on ten copies of the file end to end)");
    const { name: _x, ...long } = coldBench({ name: "backtest_cold_1m_x10", ...(data ? { data: resolve(data) } : {}), repeat: 10, rounds: 3, log });
    results.backtest_cold_1m_x10 = long;
  }

  if (wanted("signals_per_sec_sqlite")) {
    log("bench: signals_per_sec_sqlite");
    const { name: _a, ...memory } = await signalsSqliteBench({ name: "signals_per_sec_sqlite", signals: 3000, durableVenue: false, log });
    results.signals_per_sec_sqlite = memory;
    const { name: _b, ...durable } = await signalsSqliteBench({ name: "signals_per_sec_sqlite_durable_venue", signals: 1000, durableVenue: true, log });
    results.signals_per_sec_sqlite_durable_venue = durable;
  }

  if (wanted("resting_limits_ms_10k")) {
    log("bench: resting_limits_ms_10k (manual LIMIT orders through the engine, SQLite + durable venue)");
    const { name: _f, ...resting } = await restingLimitsBench({ name: "resting_limits_ms_10k", orders: 10_000, log });
    results.resting_limits_ms_10k = resting;
  }

  if (wanted("restart_recovery_ms_10k_orders")) {
    log("bench: restart_recovery_ms_10k_orders");
    const { name: _c, ...restart } = await restartRecoveryBench({ name: "restart_recovery_ms_10k_orders", orders: 10_000, log });
    results.restart_recovery_ms_10k_orders = restart;
  }

  if (wanted("history_query_ms_1m_trades")) {
    log("bench: history_query_ms_1m_trades");
    const { name: _d, ...history } = await historyBench({ name: "history_query_ms_1m_trades", count: 1_000_000, runs: 7, log });
    results.history_query_ms_1m_trades = history;
  }

  if (wanted("render_first_ms_500_positions")) {
    log("bench: render_first_ms_500_positions (built app, chromium)");
    const { name: _e, ...render } = await renderBench({ name: "render_first_ms_500_positions", positions: 500, loads: 5, log });
    results.render_first_ms_500_positions = render;
  }

  const report = {
    node: process.version,
    timestamp: new Date().toISOString(),
    decimalSanity: decimalSanity().toString(),
    results,
    totalMs: Math.round(performance.now() - started),
  };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
