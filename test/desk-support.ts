/**
 * Router tests against a real engine: a fresh migrated SQLite file shared by Prisma (`db()`) and the engine's store,
 * a simulated venue, a manual clock, and the engine installed as the process runtime.
 */
import { TRPCError } from "@trpc/server";
import type { Role } from "../server/auth/roles";
import { useFreshDb as freshDb, type TestDb } from "./auth-support";
import { ManualClock, type Timers } from "../server/core/clock";
import { sequentialIds } from "../server/core/ids";
import { openSqliteStore, type SqliteStore } from "../server/db/sqlite-store";
import { EventBus } from "../server/engine/bus";
import { Engine, type EngineOptions } from "../server/engine/engine";
import { runtimeState, type Runtime } from "../server/engine/runtime";
import type { CommandResult, ManualOrderRequest, Signal } from "../server/engine/types";
import { SimVenue } from "../server/venues/sim/sim-venue";
import type { Venue } from "../server/venues/venue";
import type { Context } from "../server/api/context";
import { createCaller } from "../server/api/root";
import { BTC, ETH } from "./instruments";

export { BTC, ETH };

export const T0 = Date.UTC(2024, 0, 2, 12, 0, 0);

export interface TestDesk {
  tdb: TestDb;
  store: SqliteStore;
  clock: ManualClock;
  engine: Engine;
  quote(price: number, symbol?: string): Promise<void>;
  /** Sends a signal; throws when it is refused. Returns the entry's clientOrderId. */
  signal(action: Signal["action"], extra?: Partial<Signal>): Promise<string>;
  /** Sends a signal and returns the outcome, refused or not. */
  trySignal: (action: Signal["action"], extra?: Partial<Signal>) => Promise<CommandResult & { clientOrderId?: string }>;
  /** A manual order as the trader "tina"; throws when refused. */
  order(order: ManualOrderRequest): Promise<void>;
  close(): Promise<void>;
}

export interface TestDeskOptions {
  /** Starting capital (default 100000). */
  capital?: string;
  /** Engine options over the defaults (breaker and protections off, 10 % sizing, 2 % stop, a two-level take-profit ladder). */
  engine?: Partial<EngineOptions>;
  /** The ETH/USDT quote at start (default 2000). */
  ethPrice?: number;
  /** Puts a layer between the engine and the simulated venue (e.g. ResilientVenue). */
  wrapVenue?: (venue: SimVenue) => Venue;
  /** The engine's timers on the desk's manual clock (e.g. a FakeScheduler), for tests that fire them by moving time. */
  timers?: (clock: ManualClock) => Timers;
}

let signalNo = 0;

/**
 * A desk for router and service tests: a real engine on the same migrated SQLite file Prisma reads, a simulated venue
 * (BTC/USDT, ETH/USDT), a manual clock, installed as the runtime.
 */
export async function openTestDesk(options: TestDeskOptions = {}): Promise<TestDesk> {
  const tdb = freshDb();
  const clock = new ManualClock(T0);
  const store = openSqliteStore({ path: tdb.path, clock });
  const capital = options.capital ?? "100000";
  const venue = new SimVenue({ instruments: [BTC, ETH], initialBalances: { USDT: capital } });
  const engine = new Engine({
    venue: options.wrapVenue ? options.wrapVenue(venue) : venue,
    store,
    clock,
    ids: sequentialIds(),
    initialEquity: capital,
    breaker: null,
    // Off like the breaker unless a test asks (a 5 % move between two quotes would lock the symbol).
    protections: null,
    defaultSymbolSettings: {
      minConfidence: 0.5,
      sizing: { method: "fixed_fraction", fraction: 0.1 },
      stopLossPct: 2,
      takeProfitLevels: [
        { pct: 3, closeFraction: 0.5 },
        { pct: 6, closeFraction: 1 },
      ],
      trailing: null,
      maxAgeMinutes: null,
    },
    ...(options.timers && { timers: options.timers(clock) }),
    ...options.engine,
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
  const trySignal: TestDesk["trySignal"] = async (action, extra = {}) => {
    const result = await engine.execute({
      kind: "signal",
      signal: { id: `sig-${++signalNo}`, symbol: "BTC/USDT", action, confidence: 0.9, strategy: "test", ts: clock.now(), ...extra },
      source: "test",
    });
    return result.ok
      ? { ok: true, message: result.message, ...(typeof result.data?.clientOrderId === "string" ? { clientOrderId: result.data.clientOrderId } : {}) }
      : result;
  };
  const desk: TestDesk = {
    tdb,
    store,
    clock,
    engine,
    async quote(price, symbol = "BTC/USDT") {
      clock.advance(1000);
      await engine.marketData({ kind: "quote", symbol, bid: price - 0.5, ask: price + 0.5 });
    },
    async signal(action, extra = {}) {
      const result = await trySignal(action, extra);
      if (!result.ok) throw new Error(`signal refused: ${result.error.code} ${result.error.message}`);
      return String(result.clientOrderId);
    },
    trySignal,
    async order(order) {
      const result = await engine.execute({ kind: "manualOrder", order, actor: { username: "tina", role: "trader" }, reason: "test" });
      if (!result.ok) throw new Error(`order refused: ${result.error.code} ${result.error.message}`);
    },
    async close() {
      runtimeState().runtime = null;
      store.close();
      await tdb.close();
    },
  };
  await desk.quote(20000);
  await desk.quote(options.ethPrice ?? 2000, "ETH/USDT");
  return desk;
}

const USERS: Record<Role, { id: string; username: string; role: Role }> = {
  viewer: { id: "u-viewer", username: "vera", role: "viewer" },
  trader: { id: "u-trader", username: "tina", role: "trader" },
  admin: { id: "u-admin", username: "ada", role: "admin" },
};

export function callerFor(role: Role | null) {
  const ctx: Context = { user: role ? USERS[role] : null, sessionToken: null, ip: "127.0.0.1", resHeaders: new Headers(), secureCookies: false };
  return createCaller(ctx);
}

/** The TRPCError a call ends with (fails the test when it succeeds). */
export async function trpcError(p: Promise<unknown>): Promise<TRPCError & { domainCode?: string }> {
  try {
    await p;
  } catch (e) {
    if (e instanceof TRPCError) {
      const cause = e.cause as { code?: unknown } | undefined;
      return Object.assign(e, { domainCode: typeof cause?.code === "string" ? cause.code : undefined });
    }
    throw e;
  }
  throw new Error("expected a TRPCError");
}

/** The refusal code of a command's result, or null when it was done. */
export function codeOf(result: CommandResult): string | null {
  return result.ok ? null : result.error.code;
}
