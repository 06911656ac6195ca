/** GET /api/health: a contract outside tools rely on (DESIGN.md): { status, mode, tradingState, db } plus engine and venue. */
import { appConfig } from "../config";
import { db } from "../db/client";
import { readTradingState, type TradingStateValue } from "../db/system-state";
import { runtimeState } from "../engine/runtime";

export interface HealthReport {
  status: "ok" | "degraded";
  mode: string;
  tradingState: TradingStateValue | "UNKNOWN";
  db: "ok" | "error";
  dbError?: string;
  /** `degraded`: a database error interrupted a command (memory was reloaded from the books); `stopped`: why this process no longer trades (e.g. LEASE_LOST). */
  engine: { running: boolean; error: string | null; degraded: boolean; stopped: string | null };
  venue: { id: string; connected: boolean; latencyMs: number | null; lastError: string | null } | null;
  /** Every venue of the desk (one on a single-venue desk), each with its own connection. */
  venues: { id: string; exchange: string; connected: boolean; latencyMs: number | null; lastError: string | null }[];
  feed: { kind: string; connected: boolean; message: string; lastUpdateAt: number | null } | null;
  time: string;
}

export async function healthReport(): Promise<HealthReport> {
  const { mode } = appConfig();
  const time = new Date().toISOString();
  const state = runtimeState();
  const runtime = state.runtime;
  const engineHealth = runtime ? runtime.engine.health() : null;
  const engine = { running: runtime !== null, error: state.error, degraded: engineHealth?.degraded != null, stopped: engineHealth?.stopped?.code ?? null };
  const venueStatus = runtime ? runtime.venueStatus() : null;
  const venue =
    runtime && venueStatus
      ? { id: runtime.engine.venueId(), connected: venueStatus.connected, latencyMs: venueStatus.latencyMs, lastError: venueStatus.lastError }
      : null;
  const venues = runtime ? runtime.engine.venueStatuses() : [];
  const feedStatus = runtime ? runtime.feedStatus() : null;
  const feed = feedStatus
    ? { kind: feedStatus.kind, connected: feedStatus.connected, message: feedStatus.message, lastUpdateAt: feedStatus.lastUpdateAt }
    : null;
  try {
    await db().$queryRawUnsafe("SELECT 1");
    const tradingState = runtime ? runtime.engine.currentTradingState : await readTradingState();
    // The engine not running is degraded for the desk, except in backtest mode where none is expected.
    const engineOk = (runtime !== null && !engine.degraded && engine.stopped === null) || mode === "backtest";
    // No market data (e.g. paper mode offline) means exits and marks are blind: degraded, with the feed's reason.
    const feedOk = feed === null || feed.connected;
    return { status: engineOk && feedOk ? "ok" : "degraded", mode, tradingState, db: "ok", engine, venue, venues, feed, time };
  } catch (e) {
    const message = e instanceof Error ? e.message.split("\n")[0] : String(e);
    return { status: "degraded", mode, tradingState: "UNKNOWN", db: "error", dbError: message, engine, venue, venues, feed, time };
  }
}
