/**
 * SqliteStore: the Store port over better-sqlite3, on the tables of `prisma/migrations/` (the dashboard
 * reads the same rows through Prisma). Synchronous on purpose: "journal first" is statement order.
 *
 * Connection settings:
 * - `journal_mode=WAL`: readers (Prisma, a second store) never block the writer.
 * - `synchronous=NORMAL` (default): in WAL mode a committed transaction survives a crash of the process
 *   (SIGKILL, an exception, OOM) because it is in the OS page cache and the WAL; it may be lost on power
 *   loss or an OS crash. `synchronous=FULL` fsyncs the WAL on every commit and also survives power loss,
 *   at a cost of one fsync per transaction. Live trading should use FULL.
 * - `busy_timeout=5000`, `foreign_keys=ON`.
 *
 * Every transaction is `BEGIN IMMEDIATE` (the write lock is taken up front): a deferred transaction that
 * reads then writes can fail with SQLITE_BUSY under WAL when another connection (Prisma) wrote in between,
 * without waiting for the busy timeout. Nested `transaction` calls become savepoints (better-sqlite3):
 * a nested throw undoes only the nested part, and an uncaught throw rolls back everything.
 *
 * Fencing: once this connection holds the engine lease (`acquireLease`), every write transaction first checks,
 * under the write lock, that the lease row still names this owner and epoch (the time it was taken); otherwise
 * it fails with LEASE_LOST and writes nothing. A single write outside a transaction runs in one for that check.
 * A process whose lease was taken over can then never write (and, journal first, never send) anything more.
 *
 * Storage: decimals are TEXT (`toString()`), times epoch ms (REAL), booleans 0/1. Orders and positions
 * are stored whole in `data` with the Decimal-safe codec (exact round trip) and projected into flat
 * columns for queries. `SystemState.updatedAt` (a Prisma DATETIME) is written as Prisma's adapter writes
 * it by default, ISO 8601 with "+00:00", from the injected clock.
 *
 * It does not migrate: the app runs `prisma migrate deploy`; tests use `createMigratedDb()`.
 *
 * The row shapes and their conversions live in db/sqlite-rows.ts, the SQL in db/sqlite-statements.ts; what stays here
 * is one adapter for the whole Store port, because every write shares one connection, one transaction wrapper and the
 * lease fence (the fence must run inside each write transaction). The reads moved out to `db/queries/`.
 * Size (~720 lines): one short method per Store operation (~70 of them), each a statement and its row conversion.
 */
import Database from "better-sqlite3";
import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type Clock } from "../core/clock";
import type { Instrument } from "../core/instrument";
import { type Order } from "../core/orders/types";
import type { Position } from "../core/positions/book";
import type { VenueBalance } from "../core/venue-records";
import { decodeJson, encodeJson } from "./codec";
import { LEASE_ID, StoreError, leaseDecision } from "./store";
import type {
  AuditRecord,
  BreakerEventRecord,
  DriftRecord,
  EquityRecord,
  FillRecord,
  JournalEntry,
  LeaseRequest,
  LeaseResult,
  OrderListRow,
  ArbRoundTripRow,
  ArbOpportunityRow,
  OrderMeta,
  PositionMeta,
  SignalRecord,
  Store,
  StoreHistory,
  StoredOrder,
  StoredPosition,
  SymbolSettingRecord,
  ParentChildRecord,
  ParentOrderRecord,
  OrderRouteRecord,
  ParentProgressRecord,
  TradeRecord,
} from "./store";

import {
  bit,
  dec,
  decOrNull,
  str,
  json,
  jsonOrNull,
  fromJson,
  prismaDateTime,
  toJournal,
  toStoredOrder,
  toFill,
  toStoredPosition,
  toTrade,
  toSignal,
  toEquity,
  isUniqueViolation,
  parentOrderOf,
  childrenByParent,
  orderRouteOf,
} from "./sqlite-rows";
import { prepareStatements } from "./sqlite-statements";
export interface SqliteStoreOptions {
  /** `file:./data/bastion.db` (relative to the working directory), `file:/abs/path.db`, or a plain path. */
  url?: string;
  path?: string;
  /** NORMAL (default) survives a process crash; FULL also survives power loss. */
  synchronous?: "NORMAL" | "FULL";
  /** For `SystemState.updatedAt` and `positions.updatedAt`. Defaults to the wall clock. */
  clock?: Clock;
}

/** Tables the store writes; their absence means `prisma migrate deploy` has not run. */
export const REQUIRED_TABLES = [
  "SystemState",
  "engine_lease",
  "orders",
  "order_events",
  "fills",
  "positions",
  "trades",
  "signals",
  "balances",
  "equity_snapshots",
  "breaker_events",
  "symbol_settings",
  "audit_log",
  "reconciliation_drifts",
] as const;

const wallClock: Clock = { now: () => Date.now() };

/** Resolves a Prisma-style SQLite URL or a plain path to an absolute file path (":memory:" passes through). */
export function sqlitePathFromUrl(urlOrPath: string): string {
  let path = urlOrPath.trim();
  if (path.startsWith("file://")) path = fileURLToPath(path.split("?")[0]!);
  else if (path.startsWith("file:")) path = path.slice("file:".length);
  const query = path.indexOf("?");
  if (query >= 0) path = path.slice(0, query);
  if (path === "") throw new StoreError("BAD_DATABASE_URL", `The database URL "${urlOrPath}" names no file.`);
  if (path === ":memory:") return path;
  return resolve(/*turbopackIgnore: true*/ process.cwd(), path);
}

export function openSqliteStore(options: SqliteStoreOptions): SqliteStore {
  const source = options.path ?? options.url;
  if (source === undefined) throw new TypeError("openSqliteStore needs a url or a path");
  const path = sqlitePathFromUrl(source);
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  try {
    db.pragma("journal_mode = WAL");
    db.pragma("busy_timeout = 5000");
    db.pragma(`synchronous = ${options.synchronous === "FULL" ? "FULL" : "NORMAL"}`);
    db.pragma("foreign_keys = ON");
    const present = new Set((db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name));
    const missing = REQUIRED_TABLES.filter((t) => !present.has(t));
    if (missing.length > 0) {
      throw new StoreError("DB_NOT_MIGRATED", `The database is not migrated: run npx prisma migrate deploy (${path} lacks the tables ${missing.join(", ")}).`);
    }
    return new SqliteStore(db, path, options.clock ?? wallClock);
  } catch (error) {
    db.close();
    throw error;
  }
}

// ── the store ──────────────────────────────────────────────────────────────────────────────────────
export class SqliteStore implements Store, StoreHistory {
  private readonly runInTransaction: (fn: () => unknown) => unknown;
  private readonly s: ReturnType<typeof prepareStatements>;
  /** The lease this connection holds: its owner and epoch (when it was taken). Every write checks it (see the header). */
  private fence: { ownerId: string; acquiredAt: number } | null = null;

  constructor(
    private readonly db: Database.Database,
    /** Absolute path of the database file. */
    readonly path: string,
    private readonly clock: Clock,
  ) {
    const run = db.transaction((fn: () => unknown) => fn());
    this.runInTransaction = (fn) => run.immediate(fn);
    this.s = prepareStatements(db);
    // While a lease is held, a write statement outside a transaction runs inside one, so the lease check fences it too.
    const leaseStatements = new Set<unknown>([this.s.putLease, this.s.heartbeat, this.s.heartbeatFenced, this.s.releaseLease]);
    for (const statement of Object.values(this.s) as Database.Statement<unknown[]>[]) {
      if (statement.reader || leaseStatements.has(statement)) continue;
      const runStatement = statement.run.bind(statement);
      statement.run = (...params: unknown[]) =>
        this.fence !== null && !db.inTransaction ? this.transaction(() => runStatement(...params)) : runStatement(...params);
    }
  }

  /**
   * The connection, for the one writer that shares it: the simulated exchange whose tables live in this database
   * (SimVenue's `desk` option), writing through `transaction` so that the lease fences it too.
   */
  get database(): Database.Database {
    return this.db;
  }

  transaction<T>(fn: () => T): T {
    const fence = this.fence;
    if (fence === null || this.db.inTransaction) return this.runInTransaction(fn) as T;
    return this.runInTransaction(() => {
      this.assertLeaseHeld(fence);
      return fn();
    }) as T;
  }

  private assertLeaseHeld(fence: { ownerId: string; acquiredAt: number }): void {
    const row = this.s.getLease.get(LEASE_ID);
    if (row && row.ownerId === fence.ownerId && row.acquiredAt === fence.acquiredAt) return;
    throw new StoreError(
      "LEASE_LOST",
      `This process no longer holds the engine lease (${row ? `another engine, pid ${row.pid} on ${row.host}, took over the database` : "it was released"}): nothing more is written here.`,
    );
  }

  // ── journal ──────────────────────────────────────────────────────────────────────────────────────
  appendJournal(entry: JournalEntry): number {
    const info = this.s.appendJournal.run({
      clientOrderId: entry.clientOrderId,
      type: entry.type,
      source: entry.source,
      payload: json(entry.payload),
      applied: bit(entry.applied),
      refusal: entry.refusal ?? null,
      ts: entry.ts,
    });
    return Number(info.lastInsertRowid);
  }

  journalFor(clientOrderId: string): JournalEntry[] {
    return this.s.journalFor.all(clientOrderId).map(toJournal);
  }

  journalSince(seq: number, limit: number): JournalEntry[] {
    return this.s.journalSince.all(seq, Math.max(0, Math.floor(limit))).map(toJournal);
  }

  // ── orders ───────────────────────────────────────────────────────────────────────────────────────
  saveOrder(order: Order, meta: OrderMeta): void {
    this.s.saveOrder.run({
      clientOrderId: order.clientOrderId,
      venueOrderId: order.venueOrderId,
      venue: meta.venue,
      symbol: order.symbol,
      side: order.side,
      type: order.type,
      quantity: order.quantity.toString(),
      price: str(order.price),
      triggerPrice: str(order.triggerPrice),
      timeInForce: order.timeInForce,
      reduceOnly: bit(order.reduceOnly),
      status: order.status,
      filledQty: order.filledQty.toString(),
      avgFillPrice: str(order.avgFillPrice),
      feesPaid: order.feesPaid.toString(),
      positionId: meta.positionId,
      signalId: order.tags.signalId ?? null,
      strategy: order.tags.strategy ?? null,
      reason: order.reason,
      listId: order.listId,
      parentClientOrderId: order.parentClientOrderId,
      requestedPrice: str(meta.requestedPrice),
      data: encodeJson(order),
      createdAt: order.createdAt,
      updatedAt: order.updatedAt,
    });
    this.s.saveOrderPosition.run({ clientOrderId: order.clientOrderId, positionId: meta.positionId });
  }

  loadOrders(filter: { onlyOpen: boolean }): StoredOrder[] {
    return (filter.onlyOpen ? this.s.loadOpenOrders : this.s.loadAllOrders).all().map(toStoredOrder);
  }

  getOrder(clientOrderId: string): StoredOrder | null {
    const row = this.s.getOrder.get(clientOrderId);
    return row === undefined ? null : toStoredOrder(row);
  }

  // ── fills ────────────────────────────────────────────────────────────────────────────────────────
  insertFill(fill: FillRecord): boolean {
    const info = this.s.insertFill.run({
      venue: fill.venue,
      tradeId: fill.tradeId,
      clientOrderId: fill.clientOrderId,
      symbol: fill.symbol,
      side: fill.side,
      qty: fill.qty.toString(),
      price: fill.price.toString(),
      fee: fill.fee.toString(),
      feeCurrency: fill.feeCurrency,
      liquidity: fill.liquidity,
      positionId: fill.positionId,
      late: bit(fill.late),
      ts: fill.ts,
    });
    return info.changes === 1;
  }

  hasFill(venue: string, tradeId: string): boolean {
    return this.s.hasFill.get(venue, tradeId) !== undefined;
  }

  fillsForOrder(clientOrderId: string): FillRecord[] {
    return this.s.fillsForOrder.all(clientOrderId).map(toFill);
  }

  lastFillTs(venue: string): number | null {
    return this.s.lastFillTs.get(venue)?.ts ?? null;
  }

  // ── positions and trades ─────────────────────────────────────────────────────────────────────────
  savePosition(position: Position, exit: unknown, meta: PositionMeta): void {
    this.s.savePosition.run({
      id: position.id,
      symbol: position.symbol,
      side: position.side,
      state: position.state,
      quantity: position.quantity.toString(),
      avgEntryPrice: str(position.avgEntryPrice),
      realizedPnl: position.realizedPnl.toString(),
      feesPaid: position.fees.toString(),
      openedAt: position.openedAt,
      closedAt: position.closedAt,
      strategy: meta.strategy,
      signalId: meta.signalId,
      exit: jsonOrNull(exit),
      data: encodeJson(position),
      updatedAt: this.clock.now(),
    });
  }

  loadOpenPositions(): StoredPosition[] {
    return this.s.loadOpenPositions.all().map(toStoredPosition);
  }

  insertTrade(trade: TradeRecord): void {
    try {
      this.s.insertTrade.run({
        id: trade.id,
        positionId: trade.positionId,
        symbol: trade.symbol,
        side: trade.side,
        quantity: trade.quantity.toString(),
        entryPrice: trade.entryPrice.toString(),
        exitPrice: trade.exitPrice.toString(),
        entryTime: trade.entryTime,
        exitTime: trade.exitTime,
        durationMs: trade.exitTime - trade.entryTime,
        fees: trade.fees.toString(),
        grossPnl: trade.grossPnl.toString(),
        pnl: trade.pnl.toString(),
        pnlNum: trade.pnl.toNumber(),
        pnlPct: trade.pnlPct,
        outcome: trade.outcome,
        exitReason: trade.exitReason,
        requestedPrice: str(trade.requestedPrice),
        entrySlippageBps: trade.entrySlippageBps,
        exitSlippageBps: trade.exitSlippageBps,
        strategy: trade.strategy,
        signalId: trade.signalId,
        venue: trade.venue,
      });
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new StoreError("DUPLICATE_TRADE", `Trade ${trade.id} (position ${trade.positionId}) is already recorded.`);
      }
      throw error;
    }
  }

  // ── signals, balances, equity, state ─────────────────────────────────────────────────────────────
  getSignal(id: string): SignalRecord | null {
    const row = this.s.getSignal.get(id);
    return row === undefined ? null : toSignal(row);
  }

  saveSignal(signal: SignalRecord): void {
    this.s.saveSignal.run({
      id: signal.id,
      symbol: signal.symbol,
      action: signal.action,
      confidence: signal.confidence,
      expectedReturn: signal.expectedReturn ?? null,
      stopLoss: str(signal.stopLoss),
      takeProfit: str(signal.takeProfit),
      strategy: signal.strategy,
      ts: signal.ts,
      receivedAt: signal.receivedAt,
      source: signal.source,
      status: signal.status,
      denyCode: signal.denyCode ?? null,
      denyReason: signal.denyReason ?? null,
      clientOrderId: signal.clientOrderId ?? null,
    });
  }

  saveBalances(venue: string, balances: VenueBalance[], ts: number): void {
    this.transaction(() => {
      this.s.deleteBalances.run(venue);
      for (const b of balances) {
        this.s.insertBalance.run({
          venue,
          currency: b.currency,
          free: b.free.toString(),
          reserved: b.reserved.toString(),
          total: b.total.toString(),
          updatedAt: ts,
        });
      }
    });
  }

  loadBalances(venue: string): VenueBalance[] {
    return this.s.loadBalances.all(venue).map((r) => ({
      currency: r.currency,
      free: dec(r.free),
      reserved: dec(r.reserved),
      total: dec(r.total),
    }));
  }

  appendEquity(record: EquityRecord): void {
    this.s.appendEquity.run({
      ts: record.ts,
      equity: record.equity.toString(),
      equityNum: record.equity.toNumber(),
      cash: record.cash.toString(),
      unrealized: record.unrealized.toString(),
      realized: record.realized.toString(),
      fees: record.fees.toString(),
      exposure: record.exposure.toString(),
      cause: record.cause,
    });
  }

  lastEquity(): EquityRecord | null {
    const row = this.s.lastEquity.get();
    return row === undefined ? null : toEquity(row);
  }

  // ── order lists ──────────────────────────────────────────────────────────────────────────────────
  saveOrderList(row: OrderListRow): void {
    this.s.saveOrderList.run({ ...row, data: encodeJson(row.data) });
  }

  loadOrderLists(filter: { onlyOpen: boolean }): OrderListRow[] {
    return (filter.onlyOpen ? this.s.loadOpenOrderLists : this.s.loadAllOrderLists).all().map((row) => ({ ...row, data: decodeJson<unknown>(row.data) }));
  }

  getOrderList(listId: string): OrderListRow | null {
    const row = this.s.getOrderList.get(listId);
    return row === undefined ? null : { ...row, data: decodeJson<unknown>(row.data) };
  }

  // ── arbitrage ────────────────────────────────────────────────────────────────────────────────────
  saveArbRoundTrip(row: ArbRoundTripRow): void {
    this.s.saveArbRoundTrip.run({ ...row, pnl: str(row.pnl), data: encodeJson(row.data) });
  }

  loadArbRoundTrips(filter: { onlyOpen: true } | { onlyOpen: false; limit: number }): ArbRoundTripRow[] {
    const rows = filter.onlyOpen ? this.s.loadOpenArbRoundTrips.all() : this.s.loadRecentArbRoundTrips.all(filter.limit);
    return rows.map((row) => ({ ...row, pnl: decOrNull(row.pnl), data: decodeJson<unknown>(row.data) }));
  }

  appendArbOpportunity(row: ArbOpportunityRow): void {
    this.s.appendArbOpportunity.run({
      pairId: row.pairId,
      outcome: row.outcome,
      code: row.code,
      reason: row.reason,
      count: row.count,
      firstTs: row.firstTs,
      lastTs: row.lastTs,
      bestNetBps: str(row.bestNetBps),
      buyVenue: row.buyVenue,
      sellVenue: row.sellVenue,
      qty: str(row.qty),
      roundTripId: row.roundTripId,
    });
  }

  loadArbOpportunities(limit: number): ArbOpportunityRow[] {
    return this.s.loadArbOpportunities.all(limit).map((row) => ({
      ...row,
      outcome: row.outcome === "taken" ? "taken" : "skipped",
      bestNetBps: decOrNull(row.bestNetBps),
      qty: decOrNull(row.qty),
    }));
  }

  arbOpportunityCounts(): { pairId: string; outcome: string; code: string; count: number }[] {
    return this.s.arbOpportunityCounts.all();
  }

  getState<T>(key: string): T | null {
    const row = this.s.getState.get(key);
    return row === undefined ? null : decodeJson<T | null>(row.value);
  }

  setState(key: string, value: unknown): void {
    this.s.setState.run({ key, value: json(value), updatedAt: prismaDateTime(this.clock.now()) });
  }

  // ── append-only logs, settings ───────────────────────────────────────────────────────────────────
  appendBreakerEvent(event: BreakerEventRecord): void {
    this.s.appendBreaker.run({
      ts: event.ts,
      kind: event.kind,
      reason: event.reason,
      message: event.message,
      by: event.by,
      action: event.action ?? null,
      detail: jsonOrNull(event.detail),
    });
  }

  appendAudit(record: AuditRecord): void {
    this.s.appendAudit.run({
      ts: record.ts,
      actor: record.actor,
      role: record.role,
      action: record.action,
      target: record.target ?? null,
      reason: record.reason ?? null,
      params: jsonOrNull(record.params),
      result: record.result,
      detail: record.detail ?? null,
    });
  }

  appendDrift(record: DriftRecord): void {
    this.s.appendDrift.run({
      ts: record.ts,
      venue: record.venue,
      kind: record.kind,
      subject: record.subject,
      detail: json(record.detail),
      resolved: bit(record.resolved),
      resolution: record.resolution ?? null,
    });
  }

  saveSymbolSetting(record: SymbolSettingRecord): void {
    this.s.saveSymbolSetting.run({
      symbol: record.symbol,
      enabled: bit(record.enabled),
      settings: json(record.settings),
      updatedAt: record.updatedAt,
      updatedBy: record.updatedBy,
    });
  }

  loadSymbolSettings(): SymbolSettingRecord[] {
    return this.s.loadSymbolSettings.all().map((r) => ({
      symbol: r.symbol,
      enabled: r.enabled === 1,
      settings: decodeJson<unknown>(r.settings),
      updatedAt: r.updatedAt,
      updatedBy: r.updatedBy,
    }));
  }

  saveInstrument(venue: string, instrument: Instrument, ts: number): void {
    this.s.saveInstrument.run({
      symbol: instrument.symbol,
      venue,
      venueSymbol: instrument.venueSymbol,
      base: instrument.base,
      quote: instrument.quote,
      kind: instrument.kind,
      priceTick: instrument.priceTick.toString(),
      qtyStep: instrument.qtyStep.toString(),
      minQty: instrument.minQty.toString(),
      maxQty: str(instrument.maxQty),
      minNotional: instrument.minNotional.toString(),
      maxNotional: str(instrument.maxNotional),
      makerFee: instrument.makerFee.toString(),
      takerFee: instrument.takerFee.toString(),
      updatedAt: ts,
    });
  }

  deleteInstrument(symbol: string): void {
    this.s.deleteInstrument.run(symbol);
  }

  listInstrumentVenues(): { symbol: string; venue: string }[] {
    return this.s.listInstrumentVenues.all();
  }

  saveParentOrder(record: ParentOrderRecord): void {
    this.transaction(() => {
      this.saveWholeParent(record);
      // A whole save is the truth: parts saved before it are gone.
      this.s.deleteParentChildren.run(record.id);
    });
  }

  saveParentProgress(progress: ParentProgressRecord, children: readonly ParentChildRecord[]): void {
    this.transaction(() => {
      const updated = this.s.saveParentProgress.run({
        id: progress.id,
        status: progress.status,
        filledQty: progress.filledQty.toString(),
        progress: progress.progress,
        updatedAt: progress.updatedAt,
      });
      if (updated.changes !== 1) throw new RangeError(`parent order ${progress.id} was never saved whole: its progress has nothing to apply to`);
      for (const child of children) this.s.saveParentChild.run({ ...child });
    });
  }

  private saveWholeParent(record: ParentOrderRecord): void {
    this.s.saveParentOrder.run({
      id: record.id,
      symbol: record.symbol,
      side: record.side,
      algo: record.algo,
      status: record.status,
      targetQty: record.targetQty.toString(),
      filledQty: record.filledQty.toString(),
      state: record.state,
      meta: json(record.meta),
      createdAt: record.createdAt,
      updatedAt: record.updatedAt,
    });
  }

  loadParentOrders(filter: { onlyOpen: boolean }): ParentOrderRecord[] {
    const rows = (filter.onlyOpen ? this.s.loadOpenParentOrders : this.s.loadParentOrders).all();
    const children = childrenByParent((filter.onlyOpen ? this.s.loadOpenParentChildren : this.s.loadParentChildren).all());
    return rows.map((row) => parentOrderOf(row, children.get(row.id)));
  }

  getParentOrder(id: string): ParentOrderRecord | null {
    const row = this.s.getParentOrder.get(id);
    return row ? parentOrderOf(row, this.s.getParentChildren.all(id)) : null;
  }

  saveOrderRoute(record: OrderRouteRecord): void {
    this.s.saveOrderRoute.run({
      id: record.id,
      symbol: record.symbol,
      side: record.side,
      mode: record.mode,
      requestedQty: record.requestedQty.toString(),
      routedQty: record.routedQty.toString(),
      status: record.status,
      data: json(record.data),
      createdAt: record.createdAt,
      updatedAt: record.updatedAt,
    });
  }

  getOrderRoute(id: string): OrderRouteRecord | null {
    const r = this.s.getOrderRoute.get(id);
    return r ? orderRouteOf(r) : null;
  }

  loadOpenOrderRoutes(): OrderRouteRecord[] {
    return this.s.loadOpenOrderRoutes.all().map(orderRouteOf);
  }

  // ── lease ────────────────────────────────────────────────────────────────────────────────────────
  acquireLease(request: LeaseRequest): LeaseResult {
    // One IMMEDIATE transaction: the read happens under the write lock, so two racing processes serialize.
    // Not fenced by a lease this connection held before: taking the lease is how a fence starts.
    return this.runInTransaction(() => {
      const current = this.s.getLease.get(LEASE_ID) ?? null;
      const decision = leaseDecision(current, request);
      if (decision.ok) {
        const acquiredAt = current !== null && current.ownerId === request.ownerId ? current.acquiredAt : request.now;
        this.s.putLease.run({ id: LEASE_ID, ownerId: request.ownerId, pid: request.pid, host: request.host, acquiredAt, heartbeatAt: request.now });
        this.fence = { ownerId: request.ownerId, acquiredAt };
      }
      return decision;
    }) as LeaseResult;
  }

  heartbeat(ownerId: string, now: number): boolean {
    const fence = this.fence;
    // Our own lease is renewed only in the epoch we took it in: a lease lost and taken again by the same owner id is not ours.
    if (fence !== null && fence.ownerId === ownerId) return this.s.heartbeatFenced.run(now, LEASE_ID, ownerId, fence.acquiredAt).changes === 1;
    return this.s.heartbeat.run(now, LEASE_ID, ownerId).changes === 1;
  }

  releaseLease(ownerId: string): void {
    this.s.releaseLease.run(LEASE_ID, ownerId);
    if (this.fence?.ownerId === ownerId) this.fence = null;
  }

  // ── history read-backs ───────────────────────────────────────────────────────────────────────────
  listTrades(): TradeRecord[] {
    return this.s.listTrades.all().map(toTrade);
  }

  listEquity(): EquityRecord[] {
    return this.s.listEquity.all().map(toEquity);
  }

  listSignals(): SignalRecord[] {
    return this.s.listSignals.all().map(toSignal);
  }

  listPositions(): StoredPosition[] {
    return this.s.listPositions.all().map(toStoredPosition);
  }

  listFills(): FillRecord[] {
    return this.s.listFills.all().map(toFill);
  }

  listBreakerEvents(): BreakerEventRecord[] {
    return this.s.listBreaker.all().map((r) => ({
      ts: r.ts,
      kind: r.kind as BreakerEventRecord["kind"],
      reason: r.reason,
      message: r.message,
      by: r.by,
      action: r.action,
      detail: fromJson(r.detail),
    }));
  }

  listAudit(): AuditRecord[] {
    return this.s.listAudit.all().map((r) => ({
      ts: r.ts,
      actor: r.actor,
      role: r.role,
      action: r.action,
      target: r.target,
      reason: r.reason,
      params: fromJson(r.params),
      result: r.result as AuditRecord["result"],
      detail: r.detail,
    }));
  }

  listDrifts(): DriftRecord[] {
    return this.s.listDrifts.all().map((r) => ({
      ts: r.ts,
      venue: r.venue,
      kind: r.kind,
      subject: r.subject,
      detail: decodeJson<unknown>(r.detail),
      resolved: r.resolved === 1,
      resolution: r.resolution,
    }));
  }

  get isOpen(): boolean {
    return this.db.open;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
