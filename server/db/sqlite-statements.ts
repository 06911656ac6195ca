/**
 * Every SQL statement the SQLite store (db/sqlite-store.ts) runs, prepared once per connection. The store wraps their
 * writes in its lease fence; this module only holds the SQL and the row type each read returns.
 */
import type Database from "better-sqlite3";
import { TERMINAL_STATUSES } from "../core/orders/types";
import { OPEN_ARB_STATUSES } from "./store";
import type { LeaseRow } from "./store";

import {
  type JournalRow,
  type OrderRow,
  type FillRow,
  type PositionRow,
  type TradeRow,
  type SignalRow,
  type BalanceRow,
  type EquityRow,
  type BreakerRow,
  type AuditRow,
  type DriftRow,
  type SymbolSettingRow,
  type ParentOrderRow,
  type OrderRouteRow,
  type ArbRoundTripDbRow,
  type ArbOpportunityDbRow,
  type OrderListDbRow,
} from "./sqlite-rows";

/** The terminal statuses of core/orders as an SQL list: `('DENIED','FILLED',…)`. */
export const TERMINAL_SQL = `(${[...TERMINAL_STATUSES].map((status) => `'${status}'`).join(",")})`;

/** Every statement, prepared once per connection. */
export function prepareStatements(db: Database.Database) {
  const p = <R = unknown>(sql: string) => db.prepare<unknown[], R>(sql);
  return {
    appendJournal: p(
      `INSERT INTO order_events (clientOrderId, type, source, payload, applied, refusal, ts)
       VALUES (@clientOrderId, @type, @source, @payload, @applied, @refusal, @ts)`,
    ),
    journalFor: p<JournalRow>("SELECT * FROM order_events WHERE clientOrderId = ? ORDER BY seq"),
    journalSince: p<JournalRow>("SELECT * FROM order_events WHERE seq > ? ORDER BY seq LIMIT ?"),

    saveOrder: p(
      `INSERT INTO orders (clientOrderId, venueOrderId, venue, symbol, side, type, quantity, price, triggerPrice,
         timeInForce, reduceOnly, status, filledQty, avgFillPrice, feesPaid, positionId, signalId, strategy, reason,
         listId, parentClientOrderId, requestedPrice, data, createdAt, updatedAt)
       VALUES (@clientOrderId, @venueOrderId, @venue, @symbol, @side, @type, @quantity, @price, @triggerPrice,
         @timeInForce, @reduceOnly, @status, @filledQty, @avgFillPrice, @feesPaid, @positionId, @signalId, @strategy, @reason,
         @listId, @parentClientOrderId, @requestedPrice, @data, @createdAt, @updatedAt)
       ON CONFLICT (clientOrderId) DO UPDATE SET venueOrderId = excluded.venueOrderId, venue = excluded.venue,
         quantity = excluded.quantity,
         price = excluded.price, triggerPrice = excluded.triggerPrice, timeInForce = excluded.timeInForce,
         reduceOnly = excluded.reduceOnly, status = excluded.status, filledQty = excluded.filledQty,
         avgFillPrice = excluded.avgFillPrice, feesPaid = excluded.feesPaid,
         signalId = excluded.signalId, strategy = excluded.strategy, reason = excluded.reason, listId = excluded.listId,
         parentClientOrderId = excluded.parentClientOrderId, requestedPrice = excluded.requestedPrice,
         data = excluded.data, updatedAt = excluded.updatedAt`,
    ),
    // SQLite rewrites an index entry for every indexed column an UPDATE assigns, changed or not (a page each, every
    // save of every order). So the upsert above leaves out what cannot change — symbol, side, type and createdAt are
    // the order's identity (the FSM copies them) — and the position, which rarely does, moves here, only when it differs.
    saveOrderPosition: p("UPDATE orders SET positionId = @positionId WHERE clientOrderId = @clientOrderId AND positionId IS NOT @positionId"),
    loadAllOrders: p<OrderRow>("SELECT data, venue, positionId, requestedPrice FROM orders ORDER BY createdAt, rowid"),
    loadOpenOrders: p<OrderRow>(`SELECT data, venue, positionId, requestedPrice FROM orders WHERE status NOT IN ${TERMINAL_SQL} ORDER BY createdAt, rowid`),
    getOrder: p<OrderRow>("SELECT data, venue, positionId, requestedPrice FROM orders WHERE clientOrderId = ?"),

    insertFill: p(
      `INSERT INTO fills (venue, tradeId, clientOrderId, symbol, side, qty, price, fee, feeCurrency, liquidity, positionId, late, ts)
       VALUES (@venue, @tradeId, @clientOrderId, @symbol, @side, @qty, @price, @fee, @feeCurrency, @liquidity, @positionId, @late, @ts)
       ON CONFLICT (venue, tradeId) DO NOTHING`,
    ),
    hasFill: p<{ one: number }>("SELECT 1 AS one FROM fills WHERE venue = ? AND tradeId = ?"),
    fillsForOrder: p<FillRow>("SELECT * FROM fills WHERE clientOrderId = ? ORDER BY id"),
    lastFillTs: p<{ ts: number | null }>("SELECT MAX(ts) AS ts FROM fills WHERE venue = ?"),
    listFills: p<FillRow>("SELECT * FROM fills ORDER BY id"),

    savePosition: p(
      `INSERT INTO positions (id, symbol, side, state, quantity, avgEntryPrice, realizedPnl, feesPaid, openedAt, closedAt,
         strategy, signalId, exit, data, updatedAt)
       VALUES (@id, @symbol, @side, @state, @quantity, @avgEntryPrice, @realizedPnl, @feesPaid, @openedAt, @closedAt,
         @strategy, @signalId, @exit, @data, @updatedAt)
       ON CONFLICT (id) DO UPDATE SET symbol = excluded.symbol, side = excluded.side, state = excluded.state,
         quantity = excluded.quantity, avgEntryPrice = excluded.avgEntryPrice, realizedPnl = excluded.realizedPnl,
         feesPaid = excluded.feesPaid, openedAt = excluded.openedAt, closedAt = excluded.closedAt,
         strategy = excluded.strategy, signalId = excluded.signalId, exit = excluded.exit, data = excluded.data,
         updatedAt = excluded.updatedAt`,
    ),
    loadOpenPositions: p<PositionRow>("SELECT data, exit, strategy, signalId FROM positions WHERE state <> 'CLOSED' ORDER BY openedAt, rowid"),
    listPositions: p<PositionRow>("SELECT data, exit, strategy, signalId FROM positions ORDER BY openedAt, rowid"),

    insertTrade: p(
      `INSERT INTO trades (id, positionId, symbol, side, quantity, entryPrice, exitPrice, entryTime, exitTime, durationMs,
         fees, grossPnl, pnl, pnlNum, pnlPct, outcome, exitReason, requestedPrice, entrySlippageBps, exitSlippageBps,
         strategy, signalId, venue)
       VALUES (@id, @positionId, @symbol, @side, @quantity, @entryPrice, @exitPrice, @entryTime, @exitTime, @durationMs,
         @fees, @grossPnl, @pnl, @pnlNum, @pnlPct, @outcome, @exitReason, @requestedPrice, @entrySlippageBps, @exitSlippageBps,
         @strategy, @signalId, @venue)`,
    ),
    listTrades: p<TradeRow>("SELECT * FROM trades ORDER BY rowid"),

    getSignal: p<SignalRow>("SELECT * FROM signals WHERE id = ?"),
    saveSignal: p(
      `INSERT INTO signals (id, symbol, action, confidence, expectedReturn, stopLoss, takeProfit, strategy, ts, receivedAt,
         source, status, denyCode, denyReason, clientOrderId)
       VALUES (@id, @symbol, @action, @confidence, @expectedReturn, @stopLoss, @takeProfit, @strategy, @ts, @receivedAt,
         @source, @status, @denyCode, @denyReason, @clientOrderId)
       ON CONFLICT (id) DO UPDATE SET symbol = excluded.symbol, action = excluded.action, confidence = excluded.confidence,
         expectedReturn = excluded.expectedReturn, stopLoss = excluded.stopLoss, takeProfit = excluded.takeProfit,
         strategy = excluded.strategy, ts = excluded.ts, receivedAt = excluded.receivedAt, source = excluded.source,
         status = excluded.status, denyCode = excluded.denyCode, denyReason = excluded.denyReason,
         clientOrderId = excluded.clientOrderId`,
    ),
    listSignals: p<SignalRow>("SELECT * FROM signals ORDER BY rowid"),

    deleteBalances: p("DELETE FROM balances WHERE venue = ?"),
    insertBalance: p(
      `INSERT INTO balances (venue, currency, free, reserved, total, updatedAt)
       VALUES (@venue, @currency, @free, @reserved, @total, @updatedAt)`,
    ),
    loadBalances: p<BalanceRow>("SELECT currency, free, reserved, total FROM balances WHERE venue = ? ORDER BY rowid"),

    appendEquity: p(
      `INSERT INTO equity_snapshots (ts, equity, equityNum, cash, unrealized, realized, fees, exposure, cause)
       VALUES (@ts, @equity, @equityNum, @cash, @unrealized, @realized, @fees, @exposure, @cause)`,
    ),
    lastEquity: p<EquityRow>("SELECT * FROM equity_snapshots ORDER BY id DESC LIMIT 1"),
    listEquity: p<EquityRow>("SELECT * FROM equity_snapshots ORDER BY id"),

    saveOrderList: p(
      `INSERT INTO order_lists (listId, kind, symbol, status, data, createdAt, updatedAt)
       VALUES (@listId, @kind, @symbol, @status, @data, @createdAt, @updatedAt)
       ON CONFLICT (listId) DO UPDATE SET status = excluded.status, data = excluded.data, updatedAt = excluded.updatedAt`,
    ),
    loadAllOrderLists: p<OrderListDbRow>("SELECT * FROM order_lists ORDER BY createdAt, rowid"),
    loadOpenOrderLists: p<OrderListDbRow>("SELECT * FROM order_lists WHERE status = 'WORKING' ORDER BY createdAt, rowid"),
    getOrderList: p<OrderListDbRow>("SELECT * FROM order_lists WHERE listId = ?"),

    saveArbRoundTrip: p(
      `INSERT INTO arb_round_trips (id, pairId, status, pnl, data, openedAt, updatedAt)
       VALUES (@id, @pairId, @status, @pnl, @data, @openedAt, @updatedAt)
       ON CONFLICT (id) DO UPDATE SET status = excluded.status, pnl = excluded.pnl, data = excluded.data, updatedAt = excluded.updatedAt`,
    ),
    loadOpenArbRoundTrips: p<ArbRoundTripDbRow>(
      `SELECT * FROM arb_round_trips WHERE status IN (${OPEN_ARB_STATUSES.map((s) => `'${s}'`).join(", ")}) ORDER BY openedAt, rowid`,
    ),
    loadRecentArbRoundTrips: p<ArbRoundTripDbRow>("SELECT * FROM arb_round_trips ORDER BY openedAt DESC, rowid DESC LIMIT ?"),
    appendArbOpportunity: p(
      `INSERT INTO arb_opportunities (pairId, outcome, code, reason, count, firstTs, lastTs, bestNetBps, buyVenue, sellVenue, qty, roundTripId)
       VALUES (@pairId, @outcome, @code, @reason, @count, @firstTs, @lastTs, @bestNetBps, @buyVenue, @sellVenue, @qty, @roundTripId)`,
    ),
    loadArbOpportunities: p<ArbOpportunityDbRow>("SELECT * FROM arb_opportunities ORDER BY lastTs DESC, id DESC LIMIT ?"),
    arbOpportunityCounts: p<{ pairId: string; outcome: string; code: string; count: number }>(
      "SELECT pairId, outcome, code, SUM(count) AS count FROM arb_opportunities GROUP BY pairId, outcome, code ORDER BY pairId, outcome, code",
    ),

    getState: p<{ value: string }>(`SELECT value FROM "SystemState" WHERE key = ?`),
    setState: p(
      `INSERT INTO "SystemState" (key, value, updatedAt) VALUES (@key, @value, @updatedAt)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value, updatedAt = excluded.updatedAt`,
    ),

    appendBreaker: p(
      `INSERT INTO breaker_events (ts, kind, reason, message, by, action, detail)
       VALUES (@ts, @kind, @reason, @message, @by, @action, @detail)`,
    ),
    listBreaker: p<BreakerRow>("SELECT * FROM breaker_events ORDER BY id"),
    appendAudit: p(
      `INSERT INTO audit_log (ts, actor, role, action, target, reason, params, result, detail)
       VALUES (@ts, @actor, @role, @action, @target, @reason, @params, @result, @detail)`,
    ),
    listAudit: p<AuditRow>("SELECT * FROM audit_log ORDER BY id"),
    appendDrift: p(
      `INSERT INTO reconciliation_drifts (ts, venue, kind, subject, detail, resolved, resolution)
       VALUES (@ts, @venue, @kind, @subject, @detail, @resolved, @resolution)`,
    ),
    listDrifts: p<DriftRow>("SELECT * FROM reconciliation_drifts ORDER BY id"),

    saveSymbolSetting: p(
      `INSERT INTO symbol_settings (symbol, enabled, settings, updatedAt, updatedBy)
       VALUES (@symbol, @enabled, @settings, @updatedAt, @updatedBy)
       ON CONFLICT (symbol) DO UPDATE SET enabled = excluded.enabled, settings = excluded.settings,
         updatedAt = excluded.updatedAt, updatedBy = excluded.updatedBy`,
    ),
    loadSymbolSettings: p<SymbolSettingRow>("SELECT * FROM symbol_settings ORDER BY symbol"),

    saveInstrument: p(
      `INSERT INTO instruments (symbol, venue, venueSymbol, base, quote, kind, priceTick, qtyStep, minQty, maxQty, minNotional,
         maxNotional, makerFee, takerFee, updatedAt)
       VALUES (@symbol, @venue, @venueSymbol, @base, @quote, @kind, @priceTick, @qtyStep, @minQty, @maxQty, @minNotional,
         @maxNotional, @makerFee, @takerFee, @updatedAt)
       ON CONFLICT (symbol) DO UPDATE SET venue = excluded.venue, venueSymbol = excluded.venueSymbol, base = excluded.base,
         quote = excluded.quote, kind = excluded.kind, priceTick = excluded.priceTick, qtyStep = excluded.qtyStep,
         minQty = excluded.minQty, maxQty = excluded.maxQty, minNotional = excluded.minNotional,
         maxNotional = excluded.maxNotional, makerFee = excluded.makerFee, takerFee = excluded.takerFee,
         updatedAt = excluded.updatedAt`,
    ),
    deleteInstrument: p("DELETE FROM instruments WHERE symbol = ?"),
    listInstrumentVenues: p<{ symbol: string; venue: string }>("SELECT symbol, venue FROM instruments ORDER BY symbol"),

    saveParentOrder: p(
      `INSERT INTO parent_orders (id, symbol, side, algo, status, targetQty, filledQty, state, meta, createdAt, updatedAt, progress)
       VALUES (@id, @symbol, @side, @algo, @status, @targetQty, @filledQty, @state, @meta, @createdAt, @updatedAt, NULL)
       ON CONFLICT (id) DO UPDATE SET status = excluded.status, filledQty = excluded.filledQty, state = excluded.state,
         meta = excluded.meta, updatedAt = excluded.updatedAt, progress = NULL`,
    ),
    deleteParentChildren: p("DELETE FROM parent_order_children WHERE parentId = ?"),
    saveParentProgress: p("UPDATE parent_orders SET status = @status, filledQty = @filledQty, progress = @progress, updatedAt = @updatedAt WHERE id = @id"),
    saveParentChild: p(
      `INSERT INTO parent_order_children (clientOrderId, parentId, slice, state, updatedAt) VALUES (@clientOrderId, @parentId, @slice, @state, @updatedAt)
       ON CONFLICT (clientOrderId) DO UPDATE SET state = excluded.state, updatedAt = excluded.updatedAt`,
    ),
    loadOpenParentChildren: p<{ parentId: string; state: string }>(
      `SELECT parentId, state FROM parent_order_children WHERE parentId IN
         (SELECT id FROM parent_orders WHERE status NOT IN ('done', 'cancelled', 'failed')) ORDER BY parentId, slice`,
    ),
    loadParentChildren: p<{ parentId: string; state: string }>("SELECT parentId, state FROM parent_order_children ORDER BY parentId, slice"),
    getParentChildren: p<{ parentId: string; state: string }>("SELECT parentId, state FROM parent_order_children WHERE parentId = ? ORDER BY slice"),
    loadOpenParentOrders: p<ParentOrderRow>(`SELECT * FROM parent_orders WHERE status NOT IN ('done', 'cancelled', 'failed') ORDER BY createdAt, id`),
    loadParentOrders: p<ParentOrderRow>("SELECT * FROM parent_orders ORDER BY createdAt, id"),
    getParentOrder: p<ParentOrderRow>("SELECT * FROM parent_orders WHERE id = ?"),
    saveOrderRoute: p(
      `INSERT INTO order_routes (id, symbol, side, mode, requestedQty, routedQty, status, data, createdAt, updatedAt)
       VALUES (@id, @symbol, @side, @mode, @requestedQty, @routedQty, @status, @data, @createdAt, @updatedAt)
       ON CONFLICT (id) DO UPDATE SET routedQty = excluded.routedQty, status = excluded.status, data = excluded.data, updatedAt = excluded.updatedAt`,
    ),
    getOrderRoute: p<OrderRouteRow>("SELECT * FROM order_routes WHERE id = ?"),
    loadOpenOrderRoutes: p<OrderRouteRow>("SELECT * FROM order_routes WHERE status = 'ROUTING' ORDER BY createdAt, id"),

    getLease: p<LeaseRow>("SELECT ownerId, pid, host, acquiredAt, heartbeatAt FROM engine_lease WHERE id = ?"),
    putLease: p(
      `INSERT INTO engine_lease (id, ownerId, pid, host, acquiredAt, heartbeatAt)
       VALUES (@id, @ownerId, @pid, @host, @acquiredAt, @heartbeatAt)
       ON CONFLICT (id) DO UPDATE SET ownerId = excluded.ownerId, pid = excluded.pid, host = excluded.host,
         acquiredAt = excluded.acquiredAt, heartbeatAt = excluded.heartbeatAt`,
    ),
    heartbeat: p("UPDATE engine_lease SET heartbeatAt = ? WHERE id = ? AND ownerId = ?"),
    heartbeatFenced: p("UPDATE engine_lease SET heartbeatAt = ? WHERE id = ? AND ownerId = ? AND acquiredAt = ?"),
    releaseLease: p("DELETE FROM engine_lease WHERE id = ? AND ownerId = ?"),
  };
}
