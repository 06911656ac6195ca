/**
 * The chaos run (DESIGN.md invariants 3, 4 and 6 at the exchange boundary): the real engine trading
 * through ResilientVenue → CcxtVenue → a real ccxt `binance` instance → the Binance-compatible test
 * server, while the server injects faults from a seeded plan — answers lost after execution, Binance's
 * -1007 "status unknown" with the order placed later (or only after the first lookup), 429 with
 * Retry-After, 503 without execution, latency beyond the client's timeout. It sends `orders` orders
 * across two symbols (signal entries and closes, resting limits, market orders), pulls the emergency
 * stop, lets every late execution land, reconciles, and then compares the books with the exchange.
 *
 * Verdicts (each must be empty/zero):
 * - executed twice: two or more executed orders at the exchange for one clientOrderId (a re-send with
 *   the same id, which Binance accepts once the first order is closed), or for one signal (a re-send
 *   under a new id); and orders at the exchange the books never journaled;
 * - open after the stop: orders still working at the exchange once everything has settled;
 * - books ≠ exchange: fills per clientOrderId (trade ids and quantities) and balance changes per asset.
 *
 * The exchange keeps Binance's rule that a clientOrderId is unique among OPEN orders only, so a
 * blind re-send of a MARKET order that was in fact executed executes it again — what a real account
 * would suffer. Used by chaos.test.ts (short) and scripts/chaos.ts (long, prints the figures).
 */
import { timeOrderedIds } from "../../server/core/ids";
import { D, ZERO, type Decimal } from "../../server/core/money";
import { seededRng } from "../../server/core/rng";
import { MemoryStore } from "../../server/db/memory-store";
import { BinanceTestServer, type FaultKind, type FaultPlanRule } from "../binance-test-server";
import { liveExchangesFor } from "../binance-test-server/live-exchange";
import { liveEngine, liveResilient, STRESS_DESK, wallClock } from "../live-desk";
import { CcxtVenue } from "../../server/venues/ccxt/ccxt-venue";
import { type Engine } from "../../server/engine/engine";
import type { Actor, CommandResult, EmergencyProgress } from "../../server/engine/types";

export interface ChaosOptions {
  seed: number;
  /** Orders to send (each an engine command that makes one order), across the two symbols. */
  orders: number;
  /** ccxt's per-request timeout: the "latency beyond the timeout" fault waits longer than this. */
  timeoutMs?: number;
  /** Fault probability on order placement (POST /api/v3/order); reads and cancels get about half. Default 0.3. */
  faultRate?: number;
  /** Upper bound of every wait on a condition (never a fixed sleep). Default 60 s. */
  settleBoundMs?: number;
  log?: (message: string) => void;
  /** Called with the exchange and the books before they are closed (to dig into a failed verdict). */
  inspect?: (server: BinanceTestServer, store: MemoryStore) => void;
}

export interface ChaosReport {
  seed: number;
  orders: {
    commands: number;
    accepted: number;
    denied: number;
    deniedByCode: Record<string, number>;
    atExchange: number;
    executedAtExchange: number;
    lateExecutions: number;
    lateRefused: number;
    neverPlacedAwaitingLookup: number;
    markedNotPlacedByOperator: number;
  };
  faults: { injected: Partial<Record<FaultKind, number>>; unknownOutcomeSubmissions: number };
  /** Orders the books marked in doubt during the run, those still in doubt at the end (a person decides), and any of those the exchange does have. */
  inDoubt: { ever: number; stillInDoubt: number; stillAtExchange: string[]; clientOrderIds: string[] };
  executedTwice: { byClientOrderId: string[]; bySignal: string[]; unknownAtExchange: string[] };
  openAfterStop: { exchange: number; books: number; firstAtExchange: string[] };
  booksVsExchange: { fillDiffs: string[]; balanceDiffs: string[] };
  stop: EmergencyProgress | null;
  durationsMs: { total: number; orders: number; stop: number; settle: number };
  verdict: { executedTwice: number; openAfterStop: number; bookDiffs: number; ok: boolean };
}

const SYMBOLS = ["BTC/USDT", "ETH/USDT"] as const;
const IDS: Record<(typeof SYMBOLS)[number], string> = { "BTC/USDT": "BTCUSDT", "ETH/USDT": "ETHUSDT" };
const BASE_PRICE: Record<(typeof SYMBOLS)[number], number> = { "BTC/USDT": 30_000, "ETH/USDT": 2_000 };
const trader: Actor = { username: "chaos-trader", role: "trader" };

/** Kinds after which the client cannot know whether the order exists. */
const UNKNOWN_OUTCOME: ReadonlySet<string> = new Set<FaultKind>([
  "hang",
  "dropResponse",
  "resetAfterExecute",
  "resetBeforeExecute",
  "delay",
  "statusUnknown",
  "statusUnknownNotExecuted",
  "placeOnLookup",
]);

/** Waits until `probe` holds, re-checking on every turn of the event loop's timers; false after `boundMs`. */
async function until(probe: () => boolean, boundMs: number): Promise<boolean> {
  const deadline = performance.now() + boundMs;
  while (!probe()) {
    if (performance.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return true;
}

function faultPlan(seed: number, rate: number, timeoutMs: number): { seed: number; rules: FaultPlanRule[] } {
  const late: [number, number] = [Math.round(timeoutMs * 1.5), Math.round(timeoutMs * 3)];
  const share = (p: number): number => Math.round(p * rate * 1e6) / 1e6;
  return {
    seed,
    rules: [
      {
        endpoint: "POST /api/v3/order",
        probabilities: {
          statusUnknown: share(0.2), // -1007, executed 1.5–3 timeouts later
          statusUnknownNotExecuted: share(0.1),
          placeOnLookup: share(0.1),
          resetAfterExecute: share(0.1), // connection dropped, placed later anyway
          resetBeforeExecute: share(0.1),
          dropResponse: share(0.05),
          delay: share(0.1), // latency beyond the timeout: executed, answered late
          rateLimit: share(0.15),
          unavailable: share(0.1),
        },
        delayMs: late,
      },
      {
        endpoint: "GET /api/v3/order",
        probabilities: { rateLimit: share(0.15), unavailable: share(0.15), delay: share(0.1), statusUnknownNotExecuted: share(0.1) },
        delayMs: late,
      },
      {
        endpoint: "DELETE /api/v3/order",
        probabilities: { rateLimit: share(0.1), unavailable: share(0.1), dropResponse: share(0.05), delay: share(0.05) },
        delayMs: late,
      },
      { endpoint: "GET /api/v3/myTrades", probabilities: { unavailable: share(0.1), delay: share(0.05) }, delayMs: late },
      { endpoint: "GET /api/v3/openOrders", probabilities: { unavailable: share(0.1), rateLimit: share(0.05) }, delayMs: late },
      { endpoint: "DELETE /api/v3/openOrders", probabilities: { unavailable: share(0.2), rateLimit: share(0.1) }, delayMs: late },
    ],
  };
}

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const log = options.log ?? (() => undefined);
  const timeoutMs = options.timeoutMs ?? 400;
  const bound = options.settleBoundMs ?? 60_000;
  const rng = seededRng(options.seed);
  const startedAt = performance.now();

  const server = await BinanceTestServer.start({
    symbols: [...SYMBOLS],
    balances: { USDT: "100000", BTC: "0", ETH: "0" },
    clientOrderIdReuse: "whenClosed",
    rateLimits: { requestWeightPerMinute: 10_000_000, ordersPer10s: 1_000_000, ordersPerDay: 10_000_000 },
  });
  const mid: Record<string, number> = { ...BASE_PRICE };
  const quote = async (engine: Engine | null, symbol: (typeof SYMBOLS)[number]): Promise<void> => {
    const m = mid[symbol]!;
    const half = Math.round(m * 0.00005 * 100) / 100 || 0.01;
    const bid = Math.round((m - half) * 100) / 100;
    const ask = Math.round((m + half) * 100) / 100;
    server.pushQuote(IDS[symbol], bid, ask, 1_000, 1_000);
    await engine?.marketData({ kind: "quote", symbol, bid, ask });
  };
  for (const symbol of SYMBOLS) await quote(null, symbol);

  const { exchange, emergency } = liveExchangesFor(server.url, { timeoutMs, unthrottled: true });
  const venue = await CcxtVenue.open({ exchange, emergencyExchange: emergency, symbols: [...SYMBOLS], clock: wallClock, pollIntervalMs: 400 });
  let engineRef: Engine | null = null;
  const resilient = liveResilient(venue, {
    ratePerSecond: 200,
    burst: 50,
    maxAttempts: 6,
    baseDelayMs: 20,
    maxDelayMs: Math.max(200, timeoutMs),
    rng: seededRng(options.seed + 1),
    engine: () => engineRef,
  });
  const store = new MemoryStore();
  const idRng = seededRng(options.seed + 2);
  const engine = liveEngine({
    venue: resilient,
    store,
    ids: timeOrderedIds(
      () => Date.now(),
      () => idRng.next(),
    ),
    ...STRESS_DESK,
    emergencyConfirmMs: Math.max(5_000, timeoutMs * 10),
    // Lookups of orders in doubt at a test pace (the defaults wait 1 s, 2 s, 4 s …).
    inDoubtPolicy: { firstDelayMs: 100, factor: 2, maxDelayMs: 1_000, alertAfterLookups: 3 },
  });
  engineRef = engine;
  await engine.start();
  for (const symbol of SYMBOLS) await quote(engine, symbol);

  // ── the order stream, under faults ──
  server.setFaultPlan(faultPlan(options.seed, options.faultRate ?? 0.3, timeoutMs));
  const results: CommandResult[] = [];
  let signalSeq = 0;
  let markedNotPlaced = 0;
  for (let i = 0; i < options.orders; i++) {
    // The person the desk asks: an order in doubt for a while that the exchange does not show is marked
    // not placed from the Reconciliation page (the desk looks once more first — a lookup the exchange may
    // answer "not found" and then place it anyway). Without this, one exit in doubt blocks its position.
    if (i % 10 === 9) {
      const now = Date.now();
      for (const m of engine.state().inDoubt) {
        if (now - m.since < Math.max(3_000, timeoutMs * 5) || server.account.allOrders().some((o) => o.clientOrderId === m.clientOrderId)) continue;
        const marked = await engine.markInDoubtNotPlaced(m.clientOrderId, trader, "chaos operator: not at the exchange after a few seconds");
        if (marked.ok) markedNotPlaced += 1;
      }
    }
    const symbol = SYMBOLS[i % 2]!;
    // A random walk the resting limits can be reached by.
    mid[symbol] = Math.max(BASE_PRICE[symbol] * 0.97, Math.min(BASE_PRICE[symbol] * 1.03, mid[symbol]! * (1 + (rng.next() - 0.5) * 0.002)));
    await quote(engine, symbol);
    if (rng.next() < 0.2) server.pushTrade(IDS[symbol], Math.round(mid[symbol] * (1 - 0.0015) * 100) / 100, 50, "SELL");
    const r = rng.next();
    const long = engine.state().positions.find((p) => p.position.symbol === symbol && p.position.quantity.greaterThan(0));
    let result: CommandResult;
    // A position past 5 % of the starting equity is sold down, so a long run stays inside the risk limits.
    const heavy = long !== undefined && long.position.quantity.times(mid[symbol]).greaterThan(5_000);
    if (!heavy && (r < 0.45 || (r < 0.6 && !long))) {
      signalSeq += 1;
      result = await engine.execute({
        kind: "signal",
        signal: { id: `chaos-${options.seed}-${signalSeq}`, symbol, action: "BUY", confidence: 0.9, strategy: "chaos", ts: Date.now() },
        source: "chaos",
      });
    } else if (r < 0.6) {
      signalSeq += 1;
      result = await engine.execute({
        kind: "signal",
        signal: { id: `chaos-${options.seed}-${signalSeq}`, symbol, action: "SELL", confidence: 0.9, strategy: "chaos", ts: Date.now() },
        source: "chaos",
      });
    } else {
      // A resting BUY limit just under the market: some fill on the walk, the rest wait for the stop.
      const price = (mid[symbol] * (1 - 0.0005 - rng.next() * 0.004)).toFixed(2);
      const quantity = symbol === "BTC/USDT" ? "0.0005" : "0.01";
      result = await engine.execute({
        kind: "manualOrder",
        order: { symbol, side: "BUY", type: "LIMIT", quantity, price },
        actor: trader,
        reason: "chaos resting limit",
      });
    }
    results.push(result);
    // Paced by the venue, not by a clock: the next order waits until this one's request has been answered
    // (or has failed, or gone in doubt), as a strategy's next signal would, so the stream reaches the
    // exchange instead of piling up for the stop to drop.
    const coid = result.ok ? (result.data?.clientOrderId as string | undefined) : undefined;
    if (coid !== undefined) await until(() => resilient.pending === 0 && !resilient.requestInFlight(coid), bound);
  }
  const ordersDoneAt = performance.now();
  log(`chaos: ${options.orders} commands sent in ${(ordersDoneAt - startedAt).toFixed(0)} ms`);

  // ── the stop, still under faults ──
  const stopStarted = performance.now();
  await engine.execute({ kind: "emergencyStop", flatten: false, actor: trader, reason: "chaos test: the stop beats everything" });
  await until(() => engine.state().emergency?.step === "done", bound);
  const stopMs = performance.now() - stopStarted;

  // ── settle: every late execution lands, lookups end, the venue goes quiet; then reconcile ──
  const settleStarted = performance.now();
  await until(() => server.faultStats().latePending === 0, bound);
  // An order placed only after its first lookup is placed once the desk looks it up (if it ever does).
  await until(() => server.faultStats().awaitingLookup === 0, Math.min(bound, 15_000));
  // Orders in doubt that do exist at the exchange are found by the desk's own lookups.
  const atExchange = (coid: string): boolean => server.account.allOrders().some((o) => o.clientOrderId === coid);
  await until(() => engine.state().inDoubt.every((m) => !atExchange(m.clientOrderId)), bound);
  log(`chaos: stop done in ${stopMs.toFixed(0)} ms; late executions landed after ${(performance.now() - settleStarted).toFixed(0)} ms`);
  server.setFaultPlan(null);
  // Whatever the venue learns from here on arrives through lookups and polls; give them time to finish.
  const quiet = async (): Promise<void> => {
    const t0 = performance.now();
    await until(() => resilient.pending === 0, bound);
    const t1 = performance.now();
    await venue.idle();
    const t2 = performance.now();
    await venue.pollOnce();
    log(
      `chaos: quiet after ${(t1 - t0).toFixed(0)} ms (retry queue) + ${(t2 - t1).toFixed(0)} ms (requests in flight) + ${(performance.now() - t2).toFixed(0)} ms (poll)`,
    );
  };
  await quiet();
  // No help from here on but what the desk does by itself (its scheduled reconciliation): an order the
  // exchange placed after the stop (a late execution of a lost answer) must not stay open.
  await engine.reconcile();
  await quiet();
  await engine.reconcile();
  const settleMs = performance.now() - settleStarted;

  // ── verdicts ──
  const exOrders = server.account.allOrders();
  const exTrades = server.account.allTrades();
  const books = store.loadOrders({ onlyOpen: false }).map((s) => s.order);
  const booksById = new Map(books.map((o) => [o.clientOrderId, o]));
  const executed = exOrders.filter((o) => o.executedQty.greaterThan(0));
  const group = <T>(items: T[], key: (t: T) => string | null): Map<string, T[]> => {
    const m = new Map<string, T[]>();
    for (const item of items) {
      const k = key(item);
      if (k === null) continue;
      m.set(k, [...(m.get(k) ?? []), item]);
    }
    return m;
  };
  const twiceById = [...group(executed, (o) => o.clientOrderId)].filter(([, list]) => list.length > 1).map(([id, list]) => `${id}×${list.length}`);
  const twiceBySignal = [...group(executed, (o) => booksById.get(o.clientOrderId)?.tags.signalId ?? null)]
    .filter(([, list]) => list.length > 1)
    .map(([sig, list]) => `${sig}: ${list.map((o) => `${o.clientOrderId}#${o.orderId}`).join(", ")}`);
  const unknownAtExchange = exOrders.filter((o) => !booksById.has(o.clientOrderId)).map((o) => `${o.clientOrderId}#${o.orderId}`);

  const bookFills = store.listFills();
  const fillDiffs: string[] = [];
  const exByTrade = new Map(exTrades.map((t) => [String(t.id), t]));
  const bookByTrade = new Map(bookFills.map((f) => [f.tradeId, f]));
  for (const t of exTrades) {
    const f = bookByTrade.get(String(t.id));
    if (!f) {
      const o = booksById.get(t.clientOrderId);
      fillDiffs.push(
        `exchange fill ${t.id} (${t.clientOrderId}, ${t.qty.toString()}) is not in the books (order ${o ? `${o.status}${o.reason ? `: ${o.reason.slice(0, 120)}` : ""}` : "unknown"})`,
      );
    } else if (f.clientOrderId !== t.clientOrderId || !f.qty.eq(t.qty) || !f.price.eq(t.price))
      fillDiffs.push(
        `fill ${t.id}: books ${f.clientOrderId} ${f.qty.toString()}@${f.price.toString()}, exchange ${t.clientOrderId} ${t.qty.toString()}@${t.price.toString()}`,
      );
  }
  for (const f of bookFills) if (!exByTrade.has(f.tradeId)) fillDiffs.push(`booked fill ${f.tradeId} (${f.clientOrderId}) the exchange never made`);
  const sumBy = <T>(items: readonly T[], key: (t: T) => string, qty: (t: T) => Decimal): Map<string, Decimal> => {
    const m = new Map<string, Decimal>();
    for (const item of items) m.set(key(item), (m.get(key(item)) ?? ZERO).plus(qty(item)));
    return m;
  };
  const exFilled = sumBy(
    exTrades,
    (t) => t.clientOrderId,
    (t) => t.qty,
  );
  const bookFilled = sumBy(
    books,
    (o) => o.clientOrderId,
    (o) => o.filledQty,
  );
  for (const [id, qty] of exFilled)
    if (!(bookFilled.get(id) ?? ZERO).eq(qty))
      fillDiffs.push(`${id}: filled ${(bookFilled.get(id) ?? ZERO).toString()} in the books, ${qty.toString()} at the exchange`);

  // Balances: the exchange's change per asset against what the books' fills add up to.
  const balances = server.account.venue.balances();
  const expected = new Map<string, Decimal>([
    ["USDT", D(100_000)],
    ["BTC", ZERO],
    ["ETH", ZERO],
  ]);
  for (const f of bookFills) {
    const base = f.symbol.split("/")[0]!;
    const signed = f.side === "BUY" ? f.qty : f.qty.negated();
    expected.set(base, (expected.get(base) ?? ZERO).plus(signed));
    expected.set("USDT", (expected.get("USDT") ?? ZERO).minus(signed.times(f.price)).minus(f.fee));
  }
  const balanceDiffs: string[] = [];
  // The exchange reports fees rounded to 8 places; the account is charged the exact fee: allow that much per fill.
  const feeRounding = D("0.00000001").times(bookFills.length);
  for (const [asset, want] of expected) {
    const have = balances[asset]?.total ?? ZERO;
    const tolerance = asset === "USDT" ? feeRounding : ZERO;
    if (have.minus(want).abs().greaterThan(tolerance)) balanceDiffs.push(`${asset}: books ${want.toString()}, exchange ${have.toString()}`);
  }

  const inDoubt = engine.state().inDoubt.map((m) => m.clientOrderId);
  const everInDoubt = books.filter((o) => store.journalFor(o.clientOrderId).some((e) => e.type === "inDoubt")).length;
  const stats = server.faultStats();
  const unknownOutcome = server.requests("POST /api/v3/order").filter((r) => r.fault !== undefined && UNKNOWN_OUTCOME.has(r.fault)).length;
  const openExchange = server.account.openOrderCount();
  const openDetail = exOrders
    .filter((o) => o.status === "NEW" || o.status === "PARTIALLY_FILLED")
    .slice(0, 10)
    .map((o) => {
      const b = booksById.get(o.clientOrderId);
      return `${o.clientOrderId}#${o.orderId} ${o.type}: books ${b ? `${b.status}${b.reason ? ` (${b.reason.slice(0, 140)})` : ""}` : "unknown"}`;
    });
  const openBooks = engine.state().openOrders.length;
  const report: ChaosReport = {
    seed: options.seed,
    orders: {
      commands: results.length,
      accepted: results.filter((r) => r.ok).length,
      denied: results.filter((r) => !r.ok).length,
      deniedByCode: Object.fromEntries(
        [
          ...group(
            results.filter((r) => !r.ok),
            (r) => (r.ok ? null : r.error.code),
          ),
        ].map(([code, list]) => [code, list.length]),
      ),
      atExchange: exOrders.length,
      executedAtExchange: executed.length,
      lateExecutions: stats.lateExecuted,
      lateRefused: stats.lateRefused,
      neverPlacedAwaitingLookup: stats.awaitingLookup,
      markedNotPlacedByOperator: markedNotPlaced,
    },
    faults: { injected: stats.injected, unknownOutcomeSubmissions: unknownOutcome },
    inDoubt: { ever: everInDoubt, stillInDoubt: inDoubt.length, stillAtExchange: inDoubt.filter(atExchange), clientOrderIds: inDoubt },
    executedTwice: { byClientOrderId: twiceById, bySignal: twiceBySignal, unknownAtExchange },
    openAfterStop: { exchange: openExchange, books: openBooks, firstAtExchange: openDetail },
    booksVsExchange: { fillDiffs, balanceDiffs },
    stop: engine.state().emergency,
    durationsMs: {
      total: Math.round(performance.now() - startedAt),
      orders: Math.round(ordersDoneAt - startedAt),
      stop: Math.round(stopMs),
      settle: Math.round(settleMs),
    },
    verdict: {
      executedTwice: twiceById.length + twiceBySignal.length + unknownAtExchange.length,
      openAfterStop: openExchange,
      bookDiffs: fillDiffs.length + balanceDiffs.length,
      ok: false,
    },
  };
  report.verdict.ok = report.verdict.executedTwice === 0 && report.verdict.openAfterStop === 0 && report.verdict.bookDiffs === 0;

  options.inspect?.(server, store);
  await resilient.close();
  await server.close();
  return report;
}
