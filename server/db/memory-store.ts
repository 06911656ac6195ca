/**
 * MemoryStore: the Store port in memory, for backtests and engine unit tests. Behaves like SqliteStore
 * (same contract suite, `test/store-contract.ts`), but keeps object references instead of encoding JSON, so
 * the hot path (journal, orders, fills) costs a few Map operations.
 *
 * References: saved orders, positions, payloads and records are stored as given and returned as stored.
 * The engine treats them as immutable values (the FSM and the position book return new objects), so this
 * is safe; a caller that mutates an object after saving it would see the change here (and not in SQLite).
 *
 * Transactions use an undo log: inside `transaction`, every mutation logs a step that reverts it.
 * On a throw the log is replayed backwards to the mark taken when that (possibly nested) transaction
 * started, then the error is rethrown: a nested transaction behaves like a SQLite savepoint (its own
 * changes are undone; the outer one may catch and carry on). Outside any transaction nothing is logged,
 * each call being atomic on its own. Like better-sqlite3, a function returning a promise is refused.
 *
 * Size (~640 lines): one short method per Store operation (~55 of them), each a Map update and
 * its undo step; the undo log and the `history: "open"` rules are shared by all of them, so they stay one file.
 */
import type { Instrument } from "../core/instrument";
import { TERMINAL_STATUSES, type Order, type OrderStatus } from "../core/orders/types";
import type { Position } from "../core/positions/book";
import type { VenueBalance } from "../core/venue-records";
import type {
  AuditRecord,
  BreakerEventRecord,
  DriftRecord,
  EquityRecord,
  FillRecord,
  JournalEntry,
  LeaseRequest,
  LeaseResult,
  LeaseRow,
  OrderListRow,
  ArbRoundTripRow,
  ArbOpportunityRow,
  OrderMeta,
  ParentChildRecord,
  ParentOrderRecord,
  OrderRouteRecord,
  ParentProgressRecord,
  PositionMeta,
  SignalRecord,
  Store,
  StoredOrder,
  StoredPosition,
  StoreHistory,
  SymbolSettingRecord,
  TradeRecord,
} from "./store";
import { OPEN_ARB_STATUSES, StoreError, TERMINAL_PARENT_STATUSES, leaseDecision } from "./store";

/** Undo step kinds (see MemoryStore's undo log). */
const UNDO_MAP_RESTORE = 0;
const UNDO_MAP_DELETE = 1;
const UNDO_LIST_POP = 2;
const UNDO_SET_DELETE = 3;
const UNDO_CALL = 4;

export function isOpenStatus(status: OrderStatus): boolean {
  return !TERMINAL_STATUSES.has(status);
}

export function isOpenPosition(position: Position): boolean {
  return position.state !== "CLOSED";
}

function isThenable(value: unknown): boolean {
  return value !== null && (typeof value === "object" || typeof value === "function") && typeof (value as { then?: unknown }).then === "function";
}

/** Appends `value` to the list of `key` in a lazy index. */
function appendTo<V>(index: Map<string, V[]>, key: string, value: V): void {
  const list = index.get(key);
  if (list === undefined) index.set(key, [value]);
  else list.push(value);
}

/*
 * Two literals of one shape for a stored order: one for an order that has ended (kept as it is from then on, by every
 * backtest), one for the rest (replaced at the next save). V8 learns per literal whether what it builds lives on and,
 * when nearly all of it does, allocates it straight into the old generation; with one literal for both, every order kept
 * for good was copied by the young-generation collections it lived through. (A closed position needs no twin: a
 * backtest's store, history "open", does not keep it.)
 */
function openOrderRow(order: Order, meta: OrderMeta): StoredOrder {
  return { order, meta };
}

function endedOrderRow(order: Order, meta: OrderMeta): StoredOrder {
  return { order, meta };
}

function byCreatedAt(a: StoredOrder, b: StoredOrder): number {
  return a.order.createdAt - b.order.createdAt;
}

function byOpenedAt(a: StoredPosition, b: StoredPosition): number {
  return a.position.openedAt - b.position.openedAt;
}

export interface MemoryStoreOptions {
  /**
   * What the store keeps of what has finished. "all" (the default): everything, as SqliteStore does. "open": what a run
   * still reads — no journal entries (the journal is what a restart recovers from, and a backtest is never restarted)
   * and no closed positions (the trades are their record); orders, fills, signals and trades are kept as ever. The
   * read-backs of what is not kept (journalFor, journalSince, listPositions) throw rather than answer with less.
   * A backtest's store: on 302,400 candles with ~13,000 orders the run then holds ~15 MB less, which its young-generation
   * collections no longer copy.
   */
  history?: "all" | "open";
}

export class MemoryStore implements Store, StoreHistory {
  private readonly keepsFinished: boolean;
  private readonly journal: JournalEntry[] = [];
  /** Journal entries appended, under "open" history (which keeps the count, not the entries). */
  private journalCount = 0;
  /**
   * Per order, its journal entries: an index built on the first read (journalFor) and kept up to date from then on; a
   * backtest never reads it, and building it for every order cost a map entry and an array per order. A rollback
   * drops it (it is rebuilt from the journal on the next read), so appending to it logs no undo step.
   */
  private journalByOrder: Map<string, JournalEntry[]> | null = null;
  private readonly orders = new Map<string, StoredOrder>();
  /** Per venue, its fills by trade id (no "venue + trade id" key string built for every fill and every check). */
  private readonly fills = new Map<string, Map<string, FillRecord>>();
  private readonly fillList: FillRecord[] = [];
  /** Per order, its fills: built on the first read (fillsForOrder), kept from then on, dropped by a rollback (as journalByOrder). */
  private fillsByOrder: Map<string, FillRecord[]> | null = null;
  private readonly lastFillTsByVenue = new Map<string, number>();
  private readonly positions = new Map<string, StoredPosition>();
  private readonly trades: TradeRecord[] = [];
  /** Trade ids and position ids already recorded (each is recorded once). */
  private readonly tradeIds = new Set<string>();
  private readonly tradePositionIds = new Set<string>();
  private readonly signals = new Map<string, SignalRecord>();
  private readonly balances = new Map<string, VenueBalance[]>();
  private readonly equity: EquityRecord[] = [];
  private readonly state = new Map<string, unknown>();
  private readonly breakerEvents: BreakerEventRecord[] = [];
  private readonly audit: AuditRecord[] = [];
  private readonly drifts: DriftRecord[] = [];
  private readonly symbolSettings = new Map<string, SymbolSettingRecord>();
  /** Symbol → venue of the stored listings (the SQLite table keeps the whole instrument for the read side). */
  private readonly instrumentVenues = new Map<string, string>();
  private readonly orderLists = new Map<string, OrderListRow>();
  private readonly arbRoundTrips = new Map<string, ArbRoundTripRow>();
  private readonly arbOpportunities: ArbOpportunityRow[] = [];
  private readonly parentOrders = new Map<string, ParentOrderRecord>();
  private readonly orderRoutes = new Map<string, OrderRouteRecord>();
  /** Per parent, its children saved in parts (by client order id). */
  private readonly parentChildren = new Map<string, Map<string, { slice: number; state: string }>>();
  private lease: LeaseRow | null = null;

  constructor(options: MemoryStoreOptions = {}) {
    this.keepsFinished = (options.history ?? "all") === "all";
  }

  /**
   * The undo log of the open transaction(s), empty outside transactions: one step per mutation, kept in
   * parallel arrays (a kind and up to three operands) so that logging a step allocates nothing on the hot
   * path; rare steps keep a closure (UNDO_CALL).
   */
  private readonly undoKinds: number[] = [];
  private readonly undoTargets: unknown[] = [];
  private readonly undoKeys: unknown[] = [];
  private readonly undoValues: unknown[] = [];
  /** Steps in use; the arrays keep their length (and slots) between transactions so they never regrow. */
  private undoCount = 0;
  private depth = 0;
  private closed = false;

  transaction<T>(fn: () => T): T {
    this.assertOpen();
    const mark = this.undoCount;
    this.depth++;
    try {
      const result = fn();
      if (isThenable(result)) {
        throw new StoreError("ASYNC_TRANSACTION", "A store transaction cannot run asynchronous code: its function returned a promise.");
      }
      return result;
    } catch (error) {
      this.rollbackTo(mark);
      throw error;
    } finally {
      this.depth--;
      if (this.depth === 0) this.undoCount = 0;
    }
  }

  private rollbackTo(mark: number): void {
    // The lazy indexes follow the journal and the fills without undo steps: rebuilt on their next read.
    if (this.undoCount > mark) this.journalByOrder = this.fillsByOrder = null;
    while (this.undoCount > mark) {
      const i = --this.undoCount;
      const kind = this.undoKinds[i]!;
      const target = this.undoTargets[i];
      const key = this.undoKeys[i];
      const value = this.undoValues[i];
      // Let go of what the step held.
      this.undoTargets[i] = this.undoKeys[i] = this.undoValues[i] = undefined;
      switch (kind) {
        case UNDO_MAP_RESTORE:
          (target as Map<unknown, unknown>).set(key, value);
          break;
        case UNDO_MAP_DELETE:
          (target as Map<unknown, unknown>).delete(key);
          break;
        case UNDO_LIST_POP:
          (target as unknown[]).pop();
          break;
        case UNDO_SET_DELETE:
          (target as Set<unknown>).delete(key);
          break;
        case UNDO_CALL:
          (target as () => void)();
          break;
      }
    }
  }

  private logUndo(kind: number, target: unknown, key: unknown, value: unknown): void {
    const i = this.undoCount++;
    if (i === this.undoKinds.length) {
      this.undoKinds.push(kind);
      this.undoTargets.push(target);
      this.undoKeys.push(key);
      this.undoValues.push(value);
    } else {
      this.undoKinds[i] = kind;
      this.undoTargets[i] = target;
      this.undoKeys[i] = key;
      this.undoValues[i] = value;
    }
  }

  /** Records how to revert a mutation, when inside a transaction (for the rare mutations without a kind). */
  private undo(step: () => void): void {
    if (this.depth > 0) this.logUndo(UNDO_CALL, step, undefined, undefined);
  }

  /** Sets a map entry, remembering the previous value (or its absence). */
  private setIn<K, V>(map: Map<K, V>, key: K, value: V): void {
    if (this.depth > 0) {
      // Two lookups, new key or not: whether the set added the key shows in the map's size (a get that misses cannot
      // tell an absent key from one holding undefined, and asking `has` too was a third lookup per new order or fill).
      const size = map.size;
      const previous = map.get(key);
      map.set(key, value);
      if (map.size === size) this.logUndo(UNDO_MAP_RESTORE, map, key, previous);
      else this.logUndo(UNDO_MAP_DELETE, map, key, undefined);
      return;
    }
    map.set(key, value);
  }

  /** Deletes a map entry, remembering its value. */
  private deleteIn<K, V>(map: Map<K, V>, key: K): void {
    if (this.depth > 0 && map.has(key)) this.logUndo(UNDO_MAP_RESTORE, map, key, map.get(key));
    map.delete(key);
  }

  private pushTo<V>(list: V[], value: V): void {
    list.push(value);
    if (this.depth > 0) this.logUndo(UNDO_LIST_POP, list, undefined, undefined);
  }

  private addTo<V>(set: Set<V>, value: V): void {
    set.add(value);
    if (this.depth > 0) this.logUndo(UNDO_SET_DELETE, set, value, undefined);
  }

  /** The read-backs of what "open" history does not keep. */
  private assertHistory(what: string): void {
    if (!this.keepsFinished) throw new StoreError("HISTORY_NOT_KEPT", `This store keeps no history of finished records, so ${what} cannot be read back.`);
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreError("STORE_CLOSED", "The store is closed.");
  }

  // ── journal ──────────────────────────────────────────────────────────────────────────────────────
  appendJournal(entry: JournalEntry): number {
    this.assertOpen();
    // "open" history only counts the entries (seqs need only grow: one a rolled-back append took is not given again).
    if (!this.keepsFinished) return ++this.journalCount;
    const seq = this.journal.length + 1;
    const stored: JournalEntry = {
      seq,
      clientOrderId: entry.clientOrderId,
      type: entry.type,
      source: entry.source,
      payload: entry.payload ?? null,
      applied: entry.applied,
      refusal: entry.refusal ?? null,
      ts: entry.ts,
    };
    this.pushTo(this.journal, stored);
    if (this.journalByOrder !== null) appendTo(this.journalByOrder, entry.clientOrderId, stored);
    return seq;
  }

  journalFor(clientOrderId: string): JournalEntry[] {
    this.assertHistory("the journal");
    if (this.journalByOrder === null) {
      const index = new Map<string, JournalEntry[]>();
      for (const entry of this.journal) appendTo(index, entry.clientOrderId, entry);
      this.journalByOrder = index;
    }
    return [...(this.journalByOrder.get(clientOrderId) ?? [])];
  }

  journalSince(seq: number, limit: number): JournalEntry[] {
    this.assertHistory("the journal");
    // seq n sits at index n - 1: entries after `seq` start at index `seq`.
    const start = Math.max(0, Math.floor(seq));
    return this.journal.slice(start, start + Math.max(0, Math.floor(limit)));
  }

  // ── orders ───────────────────────────────────────────────────────────────────────────────────────
  saveOrder(order: Order, meta: OrderMeta): void {
    this.assertOpen();
    this.setIn(this.orders, order.clientOrderId, isOpenStatus(order.status) ? openOrderRow(order, meta) : endedOrderRow(order, meta));
  }

  loadOrders(filter: { onlyOpen: boolean }): StoredOrder[] {
    const out: StoredOrder[] = [];
    for (const stored of this.orders.values()) {
      if (!filter.onlyOpen || isOpenStatus(stored.order.status)) out.push(stored);
    }
    return out.sort(byCreatedAt); // stable: ties keep first-save order, like SQLite's rowid
  }

  getOrder(clientOrderId: string): StoredOrder | null {
    return this.orders.get(clientOrderId) ?? null;
  }

  // ── fills ────────────────────────────────────────────────────────────────────────────────────────
  insertFill(fill: FillRecord): boolean {
    this.assertOpen();
    let ofVenue = this.fills.get(fill.venue);
    if (ofVenue === undefined) {
      ofVenue = new Map();
      this.setIn(this.fills, fill.venue, ofVenue);
    } else if (ofVenue.has(fill.tradeId)) return false;
    this.setIn(ofVenue, fill.tradeId, fill);
    this.pushTo(this.fillList, fill);
    if (this.fillsByOrder !== null) appendTo(this.fillsByOrder, fill.clientOrderId, fill);
    const last = this.lastFillTsByVenue.get(fill.venue);
    if (last === undefined || fill.ts > last) this.setIn(this.lastFillTsByVenue, fill.venue, fill.ts);
    return true;
  }

  hasFill(venue: string, tradeId: string): boolean {
    return this.fills.get(venue)?.has(tradeId) ?? false;
  }

  fillsForOrder(clientOrderId: string): FillRecord[] {
    if (this.fillsByOrder === null) {
      const index = new Map<string, FillRecord[]>();
      for (const fill of this.fillList) appendTo(index, fill.clientOrderId, fill);
      this.fillsByOrder = index;
    }
    return [...(this.fillsByOrder.get(clientOrderId) ?? [])];
  }

  lastFillTs(venue: string): number | null {
    return this.lastFillTsByVenue.get(venue) ?? null;
  }

  // ── positions and trades ─────────────────────────────────────────────────────────────────────────
  savePosition(position: Position, exit: unknown, meta: PositionMeta): void {
    this.assertOpen();
    if (!this.keepsFinished && !isOpenPosition(position)) {
      this.deleteIn(this.positions, position.id);
      return;
    }
    this.setIn(this.positions, position.id, { position, exit: exit ?? null, meta });
  }

  loadOpenPositions(): StoredPosition[] {
    const out: StoredPosition[] = [];
    for (const stored of this.positions.values()) if (isOpenPosition(stored.position)) out.push(stored);
    return out.sort(byOpenedAt);
  }

  insertTrade(trade: TradeRecord): void {
    this.assertOpen();
    if (this.tradeIds.has(trade.id) || this.tradePositionIds.has(trade.positionId)) {
      throw new StoreError("DUPLICATE_TRADE", `Trade ${trade.id} (position ${trade.positionId}) is already recorded.`);
    }
    this.addTo(this.tradeIds, trade.id);
    this.addTo(this.tradePositionIds, trade.positionId);
    this.pushTo(this.trades, trade);
  }

  // ── signals, balances, equity, state ─────────────────────────────────────────────────────────────
  getSignal(id: string): SignalRecord | null {
    return this.signals.get(id) ?? null;
  }

  saveSignal(signal: SignalRecord): void {
    this.assertOpen();
    this.setIn(this.signals, signal.id, signal);
  }

  saveBalances(venue: string, balances: VenueBalance[], _ts: number): void {
    this.assertOpen();
    this.setIn(this.balances, venue, [...balances]);
  }

  loadBalances(venue: string): VenueBalance[] {
    return [...(this.balances.get(venue) ?? [])];
  }

  appendEquity(record: EquityRecord): void {
    this.assertOpen();
    this.pushTo(this.equity, record);
  }

  lastEquity(): EquityRecord | null {
    return this.equity.at(-1) ?? null;
  }

  getState<T>(key: string): T | null {
    return (this.state.get(key) ?? null) as T | null;
  }

  setState(key: string, value: unknown): void {
    this.assertOpen();
    this.setIn(this.state, key, value ?? null);
  }

  // ── order lists ──────────────────────────────────────────────────────────────────────────────────
  saveOrderList(row: OrderListRow): void {
    this.assertOpen();
    this.setIn(this.orderLists, row.listId, row);
  }

  loadOrderLists(filter: { onlyOpen: boolean }): OrderListRow[] {
    const out = [...this.orderLists.values()].filter((row) => !filter.onlyOpen || row.status === "WORKING");
    return out.sort((a, b) => a.createdAt - b.createdAt);
  }

  getOrderList(listId: string): OrderListRow | null {
    return this.orderLists.get(listId) ?? null;
  }

  // ── arbitrage ────────────────────────────────────────────────────────────────────────────────────
  saveArbRoundTrip(row: ArbRoundTripRow): void {
    this.assertOpen();
    this.setIn(this.arbRoundTrips, row.id, { ...row });
  }

  loadArbRoundTrips(filter: { onlyOpen: true } | { onlyOpen: false; limit: number }): ArbRoundTripRow[] {
    const all = [...this.arbRoundTrips.values()].map((row) => ({ ...row }));
    if (filter.onlyOpen) return all.filter((row) => OPEN_ARB_STATUSES.includes(row.status)).sort((a, b) => a.openedAt - b.openedAt);
    return all.sort((a, b) => b.openedAt - a.openedAt).slice(0, filter.limit);
  }

  appendArbOpportunity(row: ArbOpportunityRow): void {
    this.assertOpen();
    this.pushTo(this.arbOpportunities, { ...row, id: this.arbOpportunities.length + 1 });
  }

  loadArbOpportunities(limit: number): ArbOpportunityRow[] {
    return [...this.arbOpportunities].sort((a, b) => b.lastTs - a.lastTs || (b.id ?? 0) - (a.id ?? 0)).slice(0, limit);
  }

  arbOpportunityCounts(): { pairId: string; outcome: string; code: string; count: number }[] {
    const sums = new Map<string, { pairId: string; outcome: string; code: string; count: number }>();
    for (const row of this.arbOpportunities) {
      const key = `${row.pairId}\u0000${row.outcome}\u0000${row.code}`;
      const sum = sums.get(key) ?? { pairId: row.pairId, outcome: row.outcome, code: row.code, count: 0 };
      sum.count += row.count;
      sums.set(key, sum);
    }
    return [...sums.values()];
  }

  // ── append-only logs, settings ───────────────────────────────────────────────────────────────────
  appendBreakerEvent(event: BreakerEventRecord): void {
    this.assertOpen();
    this.pushTo(this.breakerEvents, event);
  }

  appendAudit(record: AuditRecord): void {
    this.assertOpen();
    this.pushTo(this.audit, record);
  }

  appendDrift(record: DriftRecord): void {
    this.assertOpen();
    this.pushTo(this.drifts, record);
  }

  saveSymbolSetting(record: SymbolSettingRecord): void {
    this.assertOpen();
    this.setIn(this.symbolSettings, record.symbol, record);
  }

  loadSymbolSettings(): SymbolSettingRecord[] {
    return [...this.symbolSettings.values()].sort((a, b) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0));
  }

  saveInstrument(venue: string, instrument: Instrument, _ts: number): void {
    this.assertOpen();
    this.setIn(this.instrumentVenues, instrument.symbol, venue);
  }

  deleteInstrument(symbol: string): void {
    this.assertOpen();
    this.deleteIn(this.instrumentVenues, symbol);
  }

  listInstrumentVenues(): { symbol: string; venue: string }[] {
    return [...this.instrumentVenues].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([symbol, venue]) => ({ symbol, venue }));
  }

  saveParentOrder(record: ParentOrderRecord): void {
    this.assertOpen();
    const createdAt = this.parentOrders.get(record.id)?.createdAt ?? record.createdAt;
    const { progress: _progress, children: _children, ...whole } = record;
    this.setIn(this.parentOrders, record.id, { ...whole, createdAt });
    if (this.parentChildren.has(record.id)) this.setIn(this.parentChildren, record.id, new Map());
  }

  saveParentProgress(progress: ParentProgressRecord, children: readonly ParentChildRecord[]): void {
    this.assertOpen();
    const record = this.parentOrders.get(progress.id);
    if (!record) throw new RangeError(`parent order ${progress.id} was never saved whole: its progress has nothing to apply to`);
    this.setIn(this.parentOrders, progress.id, {
      ...record,
      status: progress.status,
      filledQty: progress.filledQty,
      progress: progress.progress,
      updatedAt: progress.updatedAt,
    });
    if (children.length === 0) return;
    let saved = this.parentChildren.get(progress.id);
    if (!saved) {
      saved = new Map();
      this.setIn(this.parentChildren, progress.id, saved);
    }
    for (const child of children) this.setIn(saved, child.clientOrderId, { slice: child.slice, state: child.state });
  }

  loadParentOrders(filter: { onlyOpen: boolean }): ParentOrderRecord[] {
    return [...this.parentOrders.values()]
      .filter((r) => !filter.onlyOpen || !TERMINAL_PARENT_STATUSES.has(r.status))
      .sort((a, b) => a.createdAt - b.createdAt)
      .map((r) => this.withChildren(r));
  }

  getParentOrder(id: string): ParentOrderRecord | null {
    const record = this.parentOrders.get(id);
    return record ? this.withChildren(record) : null;
  }

  private withChildren(record: ParentOrderRecord): ParentOrderRecord {
    const saved = this.parentChildren.get(record.id);
    if (!saved || saved.size === 0) return { ...record };
    return { ...record, children: [...saved.values()].sort((a, b) => a.slice - b.slice).map((c) => c.state) };
  }

  saveOrderRoute(record: OrderRouteRecord): void {
    this.assertOpen();
    const createdAt = this.orderRoutes.get(record.id)?.createdAt ?? record.createdAt;
    this.setIn(this.orderRoutes, record.id, { ...record, createdAt, data: structuredClone(record.data) });
  }

  getOrderRoute(id: string): OrderRouteRecord | null {
    const record = this.orderRoutes.get(id);
    return record ? { ...record, data: structuredClone(record.data) } : null;
  }

  loadOpenOrderRoutes(): OrderRouteRecord[] {
    return [...this.orderRoutes.values()]
      .filter((r) => r.status === "ROUTING")
      .sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id))
      .map((r) => ({ ...r, data: structuredClone(r.data) }));
  }

  // ── lease ────────────────────────────────────────────────────────────────────────────────────────
  acquireLease(request: LeaseRequest): LeaseResult {
    this.assertOpen();
    const current = this.lease;
    const decision = leaseDecision(current, request);
    if (!decision.ok) return decision;
    this.setLease({
      ownerId: request.ownerId,
      pid: request.pid,
      host: request.host,
      acquiredAt: current !== null && current.ownerId === request.ownerId ? current.acquiredAt : request.now,
      heartbeatAt: request.now,
    });
    return decision;
  }

  heartbeat(ownerId: string, now: number): boolean {
    this.assertOpen();
    const current = this.lease;
    if (current === null || current.ownerId !== ownerId) return false;
    this.setLease({ ...current, heartbeatAt: now });
    return true;
  }

  releaseLease(ownerId: string): void {
    this.assertOpen();
    if (this.lease !== null && this.lease.ownerId === ownerId) this.setLease(null);
  }

  private setLease(next: LeaseRow | null): void {
    const previous = this.lease;
    this.undo(() => {
      this.lease = previous;
    });
    this.lease = next;
  }

  // ── history read-backs ───────────────────────────────────────────────────────────────────────────
  listTrades(): TradeRecord[] {
    return [...this.trades];
  }

  listEquity(): EquityRecord[] {
    return [...this.equity];
  }

  listSignals(): SignalRecord[] {
    return [...this.signals.values()];
  }

  listPositions(): StoredPosition[] {
    this.assertHistory("closed positions");
    return [...this.positions.values()].sort(byOpenedAt);
  }

  listFills(): FillRecord[] {
    return [...this.fillList];
  }

  listBreakerEvents(): BreakerEventRecord[] {
    return [...this.breakerEvents];
  }

  listAudit(): AuditRecord[] {
    return [...this.audit];
  }

  listDrifts(): DriftRecord[] {
    return [...this.drifts];
  }

  close(): void {
    this.closed = true;
  }
}
