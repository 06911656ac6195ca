/**
 * The process runtime: exactly one engine per process (and per database, through the lease), alive whether
 * or not a browser is open, kept on globalThis so Next's separate bundles and dev hot reloads share it.
 *
 * replay (default): the portfolio desk: ten recorded Bittrex altcoins against BTC (data/market/portfolio) played as
 *   time-aligned live feeds (intrabar ticks, looping), a durable simulated venue next to the database with capital in
 *   BTC, sma-cross and rsi-reversion on disjoint symbols emitting signals (replay-desk.ts). With BASTION_SYMBOL=BTC/USDT
 *   (or config/desk.btc-usdt.example.yaml): today's one-symbol desk on the recorded BTC/USDT candles.
 * paper: public market data from a ccxt exchange (websockets where ccxt has them, else polling), the same simulated venue and strategy.
 * live: real orders on a ccxt exchange (CcxtVenue, its emergency instance for cancels, behind ResilientVenue),
 *   instruments from the exchange's loaded markets, market data polled from the same exchange; reconciliation
 *   on start and every BASTION_RECONCILE_MS. Refuses to start without keys and the explicit opt-in
 *   (live-config.ts); the built-in strategy is off unless BASTION_STRATEGY names it.
 * backtest: no live engine; the dashboard shows stored backtest runs and starts new ones.
 *
 * With a desk file (config.ts reads it), its risk, breaker and per-symbol settings are put in force right after the
 * engine starts, through the engine's audited commands and only where they differ (desk-changes.ts).
 *
 * This file composes the process; its rooms: runtime-live.ts (LIVE configuration and venues), runtime-feeds.ts (market
 * data per mode), runtime-duties.ts (the periodic timers), runtime-base.ts (clock, log, StartError).
 */
import "server-only";
import { randomBytes, randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { hostname } from "node:os";
import { dirname, join } from "node:path";
import { timeOrderedIds } from "../core/ids";
import { type Instrument } from "../core/instrument";
import { instrumentFromCcxtMarket, type CcxtMarketLike } from "../venues/ccxt/markets";
import { seededRng } from "../core/rng";
import { appConfig, type AppConfig, type Mode } from "../config";
import { openSqliteStore, sqlitePathFromUrl, type SqliteStore } from "../db/sqlite-store";
import binanceMarkets from "../venues/ccxt/fixtures/markets/binance.ticksize.json";
import type { PublicExchange } from "../venues/ccxt/public-feed";
import { loadCandlesCsv } from "../venues/replay/csv";
import { checkFileSymbol, type SymbolCandles } from "../venues/replay/portfolio";
import { deskAlertSettings, deskProtections, buildLanes, createStrategyRouter, defaultRiskLimits, replayBreaker, simulatedDesk } from "./replay-desk";
import { SimVenue } from "../venues/sim/sim-venue";
import type { MarketUpdate, Venue, VenueStatus } from "../venues/venue";
import { EventBus } from "./bus";
import { putDeskInForce } from "./desk-changes";
import { DESK_FILE_ACTOR, patched } from "./desk-file";
import { simulatedVenue, simulatedVenueEntries } from "./desk-venues";
import { VenueSet } from "./venue-set";
import { D } from "../core/money";
import { DEFAULT_RISK_LIMITS, DEFAULT_SYMBOL_SETTINGS } from "./settings";
import { ResilientVenue } from "./resilient-venue";
import { Engine } from "./engine";
import { LeaseKeeper, synchronousFor } from "./lease";
import { processTimers, startDeskNotifications, type DeskNotifications } from "./notifications";
import { startDeskAlerts, type DeskAlerts } from "./alerts";
import { createMarketHistory } from "./market-history-feed";
import { type MarketHistory } from "../core/market-history";
import { log, StartError, wallClock } from "./runtime-base";
import { liveConfigOrRefuse, liveVenueConfigsOrRefuse, openLiveDesk, type LiveFeedVenue } from "./runtime-live";
import { openPaperFeedVenues, paperCcxtEntries, type PaperFeedVenue } from "./runtime-paper-venues";
import { startExchangeFeeds, startReplayFeeds, type DeskFeeds, type FeedStatusView } from "./runtime-feeds";
import { startDuties } from "./runtime-duties";

export { StartError } from "./runtime-base";
export type { FeedStatusView } from "./runtime-feeds";

export interface Runtime {
  mode: Mode;
  engine: Engine;
  bus: EventBus;
  startedAt: number;
  feedStatus(): FeedStatusView;
  venueStatus(): VenueStatus;
  /** Outbound notifications (webhook, Telegram, email) from the bus; absent where a runtime has none (tests). */
  notifications?: DeskNotifications;
  /** The alert center (alerts page, header badge), fed by the bus; absent where a runtime has none (tests). */
  alerts?: DeskAlerts;
  /** Bars of every symbol the feeds deliver, for the portfolio statistics (risk.portfolio); absent in tests that need none. */
  marketHistory?: MarketHistory;
  stop(): Promise<void>;
}

export interface RuntimeState {
  runtime: Runtime | null;
  starting: Promise<Runtime | null> | null;
  error: string | null;
  mode: Mode;
}

const GLOBAL_KEY = "__bastionRuntime";
const globalState = globalThis as unknown as Record<string, RuntimeState | undefined>;

export function runtimeState(): RuntimeState {
  globalState[GLOBAL_KEY] ??= { runtime: null, starting: null, error: null, mode: appConfig().mode };
  return globalState[GLOBAL_KEY];
}

export function getRuntime(): Runtime | null {
  return runtimeState().runtime;
}

/** Real Binance precision and limits for the symbols the desk trades (recorded ccxt market snapshot). */
export function deskInstruments(symbols: string[]): Instrument[] {
  const markets = binanceMarkets as unknown as Record<string, CcxtMarketLike>;
  return symbols.map((symbol) => {
    const market = markets[symbol];
    if (market) return instrumentFromCcxtMarket(market, "TICK_SIZE");
    // A spot market quoted in another dollar (BTC/USDC, BTC/USD: the cross-venue arbitrage desk) takes its BASE/USDT
    // rules (tick, step, minimums), which are Binance's for its USDC markets too; only the symbol and quote differ.
    const [base, quote] = symbol.split("/");
    const usdt = base && quote && !symbol.includes(":") ? markets[`${base}/USDT`] : undefined;
    if (!usdt) throw new Error(`No market data for ${symbol} in the recorded Binance snapshot`);
    const rules = instrumentFromCcxtMarket(usdt, "TICK_SIZE");
    return { ...rules, symbol, quote: quote!, venueSymbol: `${base}${quote}` };
  });
}

/** Starts the runtime once; later calls return the same one. Never throws: errors are kept for /api/health. */
export function ensureRuntime(): Promise<Runtime | null> {
  const state = runtimeState();
  if (state.runtime) return Promise.resolve(state.runtime);
  state.starting ??= startRuntime()
    .then((runtime) => {
      state.runtime = runtime;
      state.error = null;
      return runtime;
    })
    .catch((e: unknown) => {
      state.error = e instanceof Error ? e.message : String(e);
      state.starting = null;
      // An exchange that cannot be reached yet is retried; a refused configuration is not.
      const retryMs = e instanceof StartError ? e.retryMs : null;
      log("error", `engine not started: ${state.error}${retryMs ? ` (trying again in ${retryMs / 1000} s)` : ""}`);
      if (retryMs) setTimeout(() => void ensureRuntime(), retryMs).unref?.();
      return null;
    });
  return state.starting;
}

async function startRuntime(): Promise<Runtime | null> {
  const config = appConfig();
  const { mode, databaseUrl } = config;
  if (mode === "backtest") {
    log("info", "backtest mode: no live engine; backtests run from the dashboard or `npm run backtest`");
    return null;
  }
  // LIVE: the configuration is checked before anything else (no keys or no opt-in: refuse, plainly).
  // A desk file with several enabled ccxt venues: each its own keys (BASTION_VENUE_<ID>_API_*), client and emergency lane.
  const liveVenues = mode === "live" ? liveVenueConfigsOrRefuse(config) : null;
  const live = mode === "live" && liveVenues === null ? liveConfigOrRefuse(config) : null;
  const isLive = mode === "live";
  // Replay: the recorded files are checked and read before anything is opened (a bad file leaves nothing behind).
  const sets = mode === "replay" ? replaySets(config) : [];
  const dbPath = sqlitePathFromUrl(databaseUrl);
  const store = openSqliteStore({ url: databaseUrl, clock: wallClock, synchronous: synchronousFor(mode) });
  const ownerId = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  let engineRef: Engine | null = null;
  // Until the desk runs, a lost lease only stops the engine (the start then fails on its fenced writes).
  let onLeaseLost = (reason: string) => log("error", `engine lease lost while starting: ${reason}`);
  // The heartbeat runs from here on: the start's reconciliation may take longer than the stale window.
  const leased = LeaseKeeper.acquire(store, {
    ownerId,
    pid: process.pid,
    host: hostname(),
    staleAfterMs: 15_000,
    heartbeatMs: 3_000,
    now: () => Date.now(),
    onLost: (reason) => {
      engineRef?.stopTrading("LEASE_LOST", reason);
      onLeaseLost(reason);
    },
  });
  if (!leased.ok) {
    store.close();
    const h = leased.holder;
    throw new Error(
      `another engine (pid ${h.pid} on ${h.host}) holds this database (heartbeat ${Math.round((Date.now() - h.heartbeatAt) / 1000)} s ago); refusing to start a second engine`,
    );
  }
  // One parse of the list for every mode (replay: one recorded file per symbol, config.ts's replay.files).
  const symbols = [...config.symbols];
  const lease = leased.keeper;
  const desk = config.desk;
  const resilience = {
    // The desk file's risk.retry_attempts counts retries after the first attempt.
    maxAttempts: desk?.retryAttempts != null ? desk.retryAttempts + 1 : 5,
    baseDelayMs: 250,
    maxDelayMs: 8_000,
    now: () => Date.now(),
    timers: { setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms) },
    rng: seededRng(Date.now() % 2 ** 31),
    onError: () => engineRef?.noteVenueError(),
    onSuccess: () => engineRef?.noteVenueSuccess(),
    log,
  };
  let inner: Venue;
  // Further simulated venues of a desk file that lists several (venues[] with mode: sim); each matches the market data
  // addressed to it (its own recording, venues[].replay) or, without one, the desk's.
  let others: Venue[] = [];
  let capital: string;
  let liveExchange: PublicExchange | null = null;
  // Several live venues: each one's exchange (market data polled from it, quotes tagged with the venue) and symbols.
  let liveFeeds: LiveFeedVenue[] = [];
  let paperFeeds: PaperFeedVenue[] = [];
  const liveDesk = liveVenues ?? live;
  if (liveDesk) {
    ({ inner, others, capital, liveExchange, liveFeeds } = await openLiveDesk(liveDesk, symbols, config, () => {
      lease.release();
      store.close();
    }));
  } else {
    const sim = simulatedDesk(config, deskInstruments);
    const instruments = sim.instruments;
    capital = sim.capital;
    const statePath = config.sim.statePath ?? join(dirname(dbPath), "sim-venue.db");
    // Paper with several ccxt venues: each a simulator fed by its own exchange's public data (runtime-paper-venues.ts).
    const paperEntries = mode === "paper" ? paperCcxtEntries(desk) : [];
    const several = paperEntries.length > 1 ? paperEntries : simulatedVenueEntries(desk);
    if (paperEntries.length > 1) {
      try {
        paperFeeds = await openPaperFeedVenues(paperEntries, symbols, config.liveEnv);
      } catch (e) {
        lease.release();
        store.close();
        throw new StartError(`paper venues: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    if (several.length > 1) {
      // Each venue its own simulator, id, file and fees (desk-venues.ts); the capital is per venue, equity their sum.
      const built = several.map((entry, i) =>
        simulatedVenue(entry, sim.instruments, {
          initialBalances: sim.initialBalances,
          seed: config.sim.seed + i,
          statePath: i === 0 ? statePath : join(dirname(dbPath), `sim-venue-${entry.id}.db`),
        }),
      );
      inner = built[0]!;
      others = built.slice(1);
      capital = D(capital).times(several.length).toString();
    } else {
      // A desk with no exchange file of its own (no BASTION_SIM_STATE, no sim-venue.db from before) keeps the simulated
      // exchange's tables in its own database: a new order's intent, the exchange's rows and its acceptance then commit
      // in one transaction (SimVenue `desk`). An existing file stays the exchange's: its orders are not forgotten.
      const ownFile = config.sim.statePath !== null || existsSync(/*turbopackIgnore: true*/ statePath);
      inner = new SimVenue(
        {
          instruments,
          initialBalances: sim.initialBalances,
          slippage: { model: "REALISTIC", impactK: 0.1, fixedBps: 1 },
          participationCap: 0.25,
          latencyMs: { fixedMs: 20, jitterMs: 10 },
          rng: seededRng(config.sim.seed),
        },
        ownFile ? { statePath, synchronous: "NORMAL" } : { desk: store },
      );
    }
  }
  const instruments = inner.instruments();
  // A real exchange: ccxt's own limiter paces requests too; this bucket keeps bursts of orders within the exchange's limits.
  const resilient = (member: Venue) =>
    new ResilientVenue(member, isLive ? { ...resilience, ratePerSecond: 10, burst: 10 } : { ...resilience, ratePerSecond: 50, burst: 20 });
  // Several venues: each keeps its own resilience layer (limiter, retries, halt latch) inside one VenueSet.
  const venue: Venue = others.length > 0 ? new VenueSet([inner, ...others].map(resilient)) : resilient(inner);
  const bus = new EventBus();
  const random = () => randomBytes(4).readUInt32BE(0) / 2 ** 32;
  // The portfolio statistics' prices: the Risk page reads them, and the gate's correlation and VaR limits.
  const marketHistory = createMarketHistory();
  const engine = new Engine({
    venue,
    store,
    clock: wallClock,
    marketHistory,
    signalWindow: config.signalWindow,
    ids: timeOrderedIds(() => Date.now(), random),
    bus,
    initialEquity: capital,
    quoteCurrency: instruments[0]!.quote,
    // Pegged currencies without a conversion mark (desk.conversion_rates): equity converts them at these.
    ...(desk?.conversionRates && { conversionRates: desk.conversionRates }),
    // The demo strategy loses often on 5-minute noise: a longer losing streak before the breaker halts the desk.
    breaker: { ...(mode === "replay" ? replayBreaker(symbols.length) : {}), ...desk?.breaker },
    // Replay: hours of recorded prices per desk minute (REPLAY_PROTECTIONS says why).
    protections: deskProtections(mode, desk?.protections),
    // A first start takes the desk file's settings as they are; later starts put them in force below (audited).
    ...(desk
      ? {
          riskLimits: patched(DEFAULT_RISK_LIMITS, desk.risk, true),
          defaultSymbolSettings: patched(DEFAULT_SYMBOL_SETTINGS, desk.symbolDefaults),
        }
      : { riskLimits: defaultRiskLimits(instruments[0]!.quote, mode === "replay" ? symbols.length : 1) }),
    ...(desk && desk.arbitrage.length > 0 && { arbitrage: desk.arbitrage }),
    log,
  });
  engineRef = engine;
  let drifts: number;
  try {
    ({ drifts } = await engine.start());
  } catch (e) {
    // The exchange could not be read for the start's reconciliation: nothing was traded; start again later.
    await venue.close();
    lease.release();
    store.close();
    if (!isLive) throw e;
    throw new StartError(`LIVE_RECONCILE_FAILED: reconciliation with ${venue.id} on start failed: ${e instanceof Error ? e.message : String(e)}`, 30_000);
  }
  log("info", `engine started in ${mode} mode on ${venue.id} (${drifts} reconciliation difference(s)); trading state ${engine.currentTradingState}`);
  if (desk) {
    // The desk file wins at every start: what it names is put in force (audited as desk-file), only where it differs.
    const { changed, refused } = await putDeskInForce(engine, desk, { mode, symbols }, DESK_FILE_ACTOR);
    log("info", `desk file ${desk.source}: ${changed === 0 ? "settings already in force" : `${changed} setting group(s) put in force`}`);
    for (const refusal of refused) log("error", `desk file ${desk.source}: ${refusal}`);
    if (desk.notActedUpon.length > 0) log("warn", `desk file ${desk.source}: parsed and kept, not acted upon yet: ${desk.notActedUpon.join("; ")}`);
  }

  // The built-in strategies, one lane per (strategy, symbol); none with BASTION_STRATEGY=off (signals come only from the
  // webhook, tRPC or people). LIVE: the demo strategy never trades real money unless asked for by name (config.ts).
  const lanes = buildLanes(config.strategies);
  const router = createStrategyRouter({
    engine,
    lanes,
    clock: wallClock,
    idSuffix: () => randomUUID().slice(0, 6),
    onSignal: ({ lane, action, result: r }) =>
      log(r.ok ? "info" : "warn", `${lane.id} ${action} ${lane.symbol}: ${r.ok ? r.message : `${r.error.code} ${r.error.message}`}`),
    onError: (e) => log("error", `strategy signal failed: ${String(e)}`),
  });
  const strategySymbols = new Set(router.symbols());
  if (lanes.length > 0) log("info", `strategies: ${config.strategies.map((s) => `${s.id} (${s.kind}) on ${s.symbols.join(", ")}`).join("; ")}`);

  const onMarket = (update: MarketUpdate) => {
    engine.marketData(update).catch((e: unknown) => log("error", `market data: ${String(e)}`));
  };

  // The recorded replay desk, or one ccxt feed per traded symbol (per venue and symbol with several live venues).
  const feeds: DeskFeeds =
    mode === "replay"
      ? startReplayFeeds({ config, sets, instruments, marketHistory, router, lanes, engine })
      : await startExchangeFeeds({ config, mode, symbols, live, liveExchange, liveFeeds, paperFeeds, strategySymbols, router, marketHistory, onMarket });
  const feedStatus = (): FeedStatusView => feeds.feedStatus();
  const stopFeed = () => feeds.stop();

  // Every configured channel hears the bus from here on; a channel that is down never slows the engine.
  const notifications = startDeskNotifications({
    channels: config.notifications,
    databaseUrl,
    bus,
    store,
    clock: wallClock,
    ids: timeOrderedIds(() => Date.now(), random),
    log,
  });

  // The alert center hears the bus too (queued, off the engine's turn); fills are measured against their arrival price (core arrivalPrice).
  const alerts = startDeskAlerts({
    databaseUrl,
    bus,
    store,
    clock: wallClock,
    timers: processTimers,
    ids: timeOrderedIds(() => Date.now(), random),
    // Replay: thresholds for 5-minute bars played at speed 300 (REPLAY_ALERTS says why).
    settings: deskAlertSettings(mode, config.desk?.alerts),
    requestedPrice: (clientOrderId) => store.getOrder(clientOrderId)?.meta.requestedPrice?.toString() ?? null,
    orderOf: (clientOrderId) => store.getOrder(clientOrderId)?.order ?? null,
    log,
  });

  // Housekeeping: the lease heartbeat, breaker ticks and venue time, equity snapshots (runtime-duties.ts).
  let duties: { stop: () => void } | null = null;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    stopFeed();
    duties?.stop();
    await engine.run(() => undefined);
    notifications.close();
    alerts.close();
    // The venue first: a simulator in this database writes its last state under the lease.
    try {
      await venue.close();
    } finally {
      lease.release();
      store.close();
    }
    runtimeState().runtime = null;
    log("info", "engine stopped");
  };
  // The lease's heartbeat runs since the lease was taken; losing it has already latched the engine: stop the process's desk.
  onLeaseLost = (reason) => {
    log("error", `engine lease lost (${reason}): trading stopped; stopping this engine`);
    void stop();
  };
  if (lease.lost !== null) onLeaseLost(lease.lost);
  duties = startDuties({
    engine,
    venue,
    bus,
    alerts,
    feedStatus,
    isLive,
    reconcileMs: config.intervals.reconcileMs,
    stopped: () => stopped,
  });
  const onExit = () => void stop();
  process.once("SIGTERM", onExit);
  process.once("SIGINT", onExit);

  return {
    mode,
    engine,
    bus,
    startedAt: Date.now(),
    feedStatus: () => feedStatus(),
    venueStatus: () => venue.status(),
    notifications,
    alerts,
    marketHistory,
    stop,
  };
}

/** The recorded candles of each replayed symbol; a missing file, or one named for another symbol, refuses the start. */
function replaySets(config: AppConfig): SymbolCandles[] {
  return config.replay.files.map(({ symbol, file, venue }) => {
    if (!existsSync(file)) throw new StartError(`replay data not found at ${file}`);
    // A file named for another symbol is refused by name (it would trade one market on another's prices).
    try {
      checkFileSymbol(file, symbol);
    } catch (e) {
      throw new StartError(e instanceof Error ? e.message : String(e));
    }
    // A venue's own recording is played to that venue only (desk-file venues[].replay).
    return { symbol, candles: loadCandlesCsv(file), ...(venue !== undefined && { venue }) };
  });
}

export type { SqliteStore };
