/** The overview: everything the desk's first page and top bar show, in one read. */
import { recentBreakerEvents } from "../db/queries/breaker-events";
import { recentDrifts } from "../db/queries/drifts";
import { equitySince } from "../db/queries/equity";
import { recentFills as queryRecentFills } from "../db/queries/fills";
import { signalCountsByStrategy } from "../db/queries/signals";
import { tradesClosedSince } from "../db/queries/trades";
import { utcDayStart } from "../core/clock";
import { Decimal, ZERO } from "../core/money";
import { instrumentDto, equityDto, plain, positionDto, strategyName, type InstrumentDto, type PositionDto } from "./dto";

/** One strategy on the Overview: what it holds now and how its (UTC) day went. */
export interface StrategyDayDto {
  strategy: string;
  openPositions: number;
  /** Σ |qty| × mark of its open positions (those without a mark are left out). */
  exposure: string;
  unrealized: string;
  /** Net PnL of its trades closed since 00:00 UTC. */
  realizedToday: string;
  tradesToday: number;
  /** Signals received since 00:00 UTC: accepted, and refused (denied by the gate or failed). */
  signalsAccepted: number;
  signalsRefused: number;
}

/** Per strategy (`manual` for a person's): open book, today's closed trades and today's signals, sorted by name. */
export async function strategyDay(positions: PositionDto[], dayStart: number): Promise<StrategyDayDto[]> {
  const [closed, signals] = await Promise.all([tradesClosedSince(dayStart), signalCountsByStrategy(dayStart)]);
  const rows = new Map<
    string,
    { openPositions: number; exposure: Decimal; unrealized: Decimal; realized: Decimal; trades: number; accepted: number; refused: number }
  >();
  const row = (strategy: string) => {
    let r = rows.get(strategy);
    if (!r) rows.set(strategy, (r = { openPositions: 0, exposure: ZERO, unrealized: ZERO, realized: ZERO, trades: 0, accepted: 0, refused: 0 }));
    return r;
  };
  for (const p of positions) {
    if (p.quantity === "0") continue;
    const r = row(p.strategy);
    r.openPositions += 1;
    if (p.notional !== null) r.exposure = r.exposure.plus(p.notional);
    if (p.unrealizedPnl !== null) r.unrealized = r.unrealized.plus(p.unrealizedPnl);
  }
  for (const t of closed) {
    const r = row(strategyName(t.strategy));
    r.realized = r.realized.plus(new Decimal(t.pnl));
    r.trades += 1;
  }
  for (const sig of signals) {
    const r = row(strategyName(sig.strategy));
    if (sig.status === "ACCEPTED") r.accepted += sig.count;
    else r.refused += sig.count;
  }
  return [...rows]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([strategy, r]) => ({
      strategy,
      openPositions: r.openPositions,
      exposure: r.exposure.toString(),
      unrealized: r.unrealized.toString(),
      realizedToday: r.realized.toString(),
      tradesToday: r.trades,
      signalsAccepted: r.accepted,
      signalsRefused: r.refused,
    }));
}
import { requireRuntime } from "./engine";
import { deskMoney } from "./desk-money";
import { firstFillSince } from "../db/queries/first-fill";

export async function overviewSummary(now = Date.now()) {
  const runtime = requireRuntime();
  const state = runtime.engine.state();
  const breaker = state.breaker ? plain({ ...state.breaker, history: state.breaker.history.slice(-20) }) : null;
  const [recentFills, drifts, breakerEvents, firstFillAt] = await Promise.all([
    queryRecentFills(12),
    recentDrifts(5),
    recentBreakerEvents(5),
    firstFillSince(runtime.startedAt),
  ]);
  const instruments: InstrumentDto[] = runtime.engine.instrumentList().map(instrumentDto);
  const positions = state.positions.map((p) => positionDto(p.position, p.exit, p.mark, now, p));
  // "Today" on the engine's clock (a replay's day is its data's day, not the wall clock's).
  const strategies = await strategyDay(positions, utcDayStart(runtime.engine.now()));
  const venue = runtime.venueStatus();
  const feed = runtime.feedStatus();
  const alerts = [
    ...drifts.map((d) => ({
      ts: d.ts,
      level: d.resolved ? ("info" as const) : ("warn" as const),
      message: `Reconciliation: ${d.kind} ${d.subject}${d.resolution ? ` (${d.resolution})` : ""}`,
    })),
    ...breakerEvents.map((e) => ({
      ts: e.ts,
      level: e.kind === "TRIP" ? ("error" as const) : ("info" as const),
      message:
        e.kind === "STATE" ? `Trading ${e.reason} by ${e.by}: ${e.message}` : `Breaker ${e.kind === "TRIP" ? "tripped" : "reset"} by ${e.by}: ${e.message}`,
    })),
    ...runtime.engine
      .protections()
      .firings.slice(0, 5)
      .map((f) => ({
        ts: f.ts,
        level: f.action === "ALERT" ? ("warn" as const) : ("error" as const),
        message: `Protection ${f.rule} (${f.action}): ${f.message}`,
      })),
    ...(feed.connected ? [] : [{ ts: now, level: "error" as const, message: `Market data: ${feed.message}` }]),
    ...(state.degraded
      ? [
          {
            ts: state.degraded.lastAt,
            level: "error" as const,
            message: `Database: ${state.degraded.errors} write(s) failed (last: ${state.degraded.reason}); the engine reloaded its books and is degraded until restarted.`,
          },
        ]
      : []),
    ...(state.stopped
      ? [{ ts: state.stopped.since, level: "error" as const, message: `Trading stopped in this process (${state.stopped.code}): ${state.stopped.reason}` }]
      : []),
  ]
    .sort((a, b) => b.ts - a.ts)
    .slice(0, 8);
  return {
    mode: runtime.mode,
    now,
    tradingState: state.tradingState,
    tradingStateInfo: state.tradingStateInfo,
    breaker,
    equity: equityDto(state.equity),
    /** The books' currency and, when it is not USDT, equity in USDT at a recorded mark (./desk-money.ts). */
    money: deskMoney(runtime, state.equity.equity.toString()),
    /** When this process started its engine, and its first fill since (a fresh replay desk trades within seconds). */
    desk: { startedAt: runtime.startedAt, firstFillAt },
    dailyPnl: breaker?.dailyPnl ?? null,
    drawdownPct: breaker?.drawdownPct ?? null,
    openPositions: state.positions.filter((p) => p.position.quantity.greaterThan(0)).length,
    openOrders: state.openOrders.length,
    positions,
    strategies,
    venue: { id: runtime.engine.venueId(), ...venue },
    /** Every venue: connection, its own state (paused/halted), open orders, positions, exposure, balances. */
    venues: state.venues,
    feed,
    emergency: state.emergency,
    marks: state.marks,
    instruments,
    recentFills: recentFills.map((f) => ({
      tradeId: f.tradeId,
      clientOrderId: f.clientOrderId,
      venue: f.venue,
      symbol: f.symbol,
      strategy: strategyName(f.strategy),
      side: f.side,
      qty: f.qty,
      price: f.price,
      fee: f.fee,
      late: f.late,
      ts: f.ts,
    })),
    alerts,
  };
}

export type OverviewSummary = Awaited<ReturnType<typeof overviewSummary>>;

/** Equity snapshots for charts: at most `points` evenly spaced over the window. */
export async function equityCurve(input: { sinceMs?: number; points?: number }) {
  const since = input.sinceMs ?? 0;
  const rows = await equitySince(since);
  const max = input.points ?? 500;
  const step = Math.max(1, Math.ceil(rows.length / max));
  const out = rows.filter((_, i) => i % step === 0 || i === rows.length - 1);
  return out.map((r) => ({ ts: r.ts, equity: r.equityNum, exact: r.equity }));
}
