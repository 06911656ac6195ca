/** The overview: everything the desk's first page and top bar show, in one read. */
import { recentBreakerEvents } from "../db/queries/breaker-events";
import { recentDrifts } from "../db/queries/drifts";
import { equitySince } from "../db/queries/equity";
import { recentFills as queryRecentFills } from "../db/queries/fills";
import { instrumentDto, equityDto, plain, positionDto, type InstrumentDto } from "./dto";
import { requireRuntime } from "./engine";

export async function overviewSummary(now = Date.now()) {
  const runtime = requireRuntime();
  const state = runtime.engine.state();
  const breaker = state.breaker ? plain({ ...state.breaker, history: state.breaker.history.slice(-20) }) : null;
  const [recentFills, drifts, breakerEvents] = await Promise.all([queryRecentFills(12), recentDrifts(5), recentBreakerEvents(5)]);
  const instruments: InstrumentDto[] = runtime.engine.instrumentList().map(instrumentDto);
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
    dailyPnl: breaker?.dailyPnl ?? null,
    drawdownPct: breaker?.drawdownPct ?? null,
    openPositions: state.positions.filter((p) => p.position.quantity.greaterThan(0)).length,
    openOrders: state.openOrders.length,
    positions: state.positions.map((p) => positionDto(p.position, p.exit, p.mark, now, p)),
    venue: { id: runtime.engine.venueId(), ...venue },
    feed,
    emergency: state.emergency,
    marks: state.marks,
    instruments,
    recentFills: recentFills.map((f) => ({
      tradeId: f.tradeId,
      clientOrderId: f.clientOrderId,
      symbol: f.symbol,
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
