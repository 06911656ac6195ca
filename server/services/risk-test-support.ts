/**
 * A desk for the risk and settings tests: a real engine with a breaker and portfolio limits on the same migrated
 * SQLite file Prisma reads, a simulated venue (BTC/USDT, ETH/USDT), a manual clock, installed as the runtime.
 */
import { useFreshDb as freshTestDb, type TestDb } from "../auth/test-support";
import { ManualClock } from "../core/clock";
import { sequentialIds } from "../core/ids";
import { openSqliteStore, type SqliteStore } from "../db/sqlite-store";
import { EventBus } from "../engine/bus";
import { Engine } from "../engine/engine";
import { runtimeState, type Runtime } from "../engine/runtime";
import type { Actor, ManualOrderRequest, Signal } from "../engine/types";
import { SimVenue } from "../venues/sim/sim-venue";
import { BTC, ETH, T0 } from "../api/routers/desk-test-support";

export { BTC, ETH, T0 };

export const ADA: Actor = { username: "ada", role: "admin" };

export interface RiskDesk {
  tdb: TestDb;
  store: SqliteStore;
  clock: ManualClock;
  engine: Engine;
  quote(price: number, symbol?: string): Promise<void>;
  signal(action: Signal["action"], extra?: Partial<Signal>): Promise<{ ok: boolean; code?: string; message: string }>;
  order(order: ManualOrderRequest): Promise<void>;
  close(): Promise<void>;
}

let signalNo = 0;

export async function openRiskDesk(): Promise<RiskDesk> {
  const tdb = freshTestDb();
  const clock = new ManualClock(T0);
  const store = openSqliteStore({ path: tdb.path, clock });
  const venue = new SimVenue({ instruments: [BTC, ETH], initialBalances: { USDT: "10000" } });
  const engine = new Engine({
    venue,
    store,
    clock,
    ids: sequentialIds(),
    initialEquity: "10000",
    breaker: { maxDailyLossPct: 5, maxDailyLossAbs: 400, maxDrawdownPct: 10, maxConsecutiveLosses: 3, maxOrdersPerMinute: 20, maxOrdersPerHour: 200, maxConsecutiveErrors: 4 },
    riskLimits: { maxOpenPositions: 3, maxPortfolioExposurePct: 100, maxSymbolExposurePct: 50, maxOrdersPerMinute: 60, minNotional: "10" },
    defaultSymbolSettings: { minConfidence: 0.5, sizing: { method: "fixed_fraction", fraction: 0.05 }, stopLossPct: null, takeProfitLevels: [], trailing: null, maxAgeMinutes: null },
  });
  await engine.start();
  const runtime: Runtime = {
    mode: "replay",
    engine,
    bus: new EventBus(),
    startedAt: T0,
    feedStatus: () => ({ kind: "replay", connected: true, message: "", lastUpdateAt: null }),
    venueStatus: () => venue.status(),
    stop: () => Promise.resolve(),
  };
  runtimeState().runtime = runtime;
  const desk: RiskDesk = {
    tdb,
    store,
    clock,
    engine,
    async quote(price, symbol = "BTC/USDT") {
      clock.advance(1000);
      await engine.marketData({ kind: "quote", symbol, bid: price - 0.5, ask: price + 0.5 });
    },
    async signal(action, extra = {}) {
      const result = await engine.execute({ kind: "signal", signal: { id: `risk-sig-${++signalNo}`, symbol: "BTC/USDT", action, confidence: 0.9, strategy: "test", ts: clock.now(), ...extra }, source: "test" });
      return result.ok ? { ok: true, message: result.message } : { ok: false, code: result.code, message: result.message };
    },
    async order(order) {
      const result = await engine.execute({ kind: "manualOrder", order, actor: { username: "tina", role: "trader" }, reason: "test" });
      if (!result.ok) throw new Error(`order refused: ${result.code} ${result.message}`);
    },
    async close() {
      runtimeState().runtime = null;
      store.close();
      await tdb.close();
    },
  };
  await desk.quote(20000);
  await desk.quote(1000, "ETH/USDT");
  return desk;
}
