-- CreateTable
CREATE TABLE "SystemState" (
    "key" TEXT NOT NULL PRIMARY KEY,
    "value" TEXT NOT NULL,
    "updatedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "engine_lease" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "ownerId" TEXT NOT NULL,
    "pid" INTEGER NOT NULL,
    "host" TEXT NOT NULL,
    "acquiredAt" REAL NOT NULL,
    "heartbeatAt" REAL NOT NULL
);

-- CreateTable
CREATE TABLE "instruments" (
    "symbol" TEXT NOT NULL PRIMARY KEY,
    "venue" TEXT NOT NULL,
    "venueSymbol" TEXT NOT NULL,
    "base" TEXT NOT NULL,
    "quote" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "priceTick" TEXT NOT NULL,
    "qtyStep" TEXT NOT NULL,
    "minQty" TEXT NOT NULL,
    "maxQty" TEXT,
    "minNotional" TEXT NOT NULL,
    "maxNotional" TEXT,
    "makerFee" TEXT NOT NULL,
    "takerFee" TEXT NOT NULL,
    "updatedAt" REAL NOT NULL
);

-- CreateTable
CREATE TABLE "orders" (
    "clientOrderId" TEXT NOT NULL PRIMARY KEY,
    "venueOrderId" TEXT,
    "venue" TEXT NOT NULL,
    "symbol" TEXT NOT NULL,
    "side" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "quantity" TEXT NOT NULL,
    "price" TEXT,
    "triggerPrice" TEXT,
    "timeInForce" TEXT NOT NULL,
    "reduceOnly" BOOLEAN NOT NULL,
    "status" TEXT NOT NULL,
    "filledQty" TEXT NOT NULL,
    "avgFillPrice" TEXT,
    "feesPaid" TEXT NOT NULL,
    "positionId" TEXT,
    "signalId" TEXT,
    "strategy" TEXT,
    "reason" TEXT,
    "listId" TEXT,
    "parentClientOrderId" TEXT,
    "requestedPrice" TEXT,
    "data" TEXT NOT NULL,
    "createdAt" REAL NOT NULL,
    "updatedAt" REAL NOT NULL
);

-- CreateTable
CREATE TABLE "order_events" (
    "seq" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "clientOrderId" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "source" TEXT NOT NULL,
    "payload" TEXT NOT NULL,
    "applied" BOOLEAN NOT NULL,
    "refusal" TEXT,
    "ts" REAL NOT NULL
);

-- CreateTable
CREATE TABLE "fills" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "venue" TEXT NOT NULL,
    "tradeId" TEXT NOT NULL,
    "clientOrderId" TEXT NOT NULL,
    "symbol" TEXT NOT NULL,
    "side" TEXT NOT NULL,
    "qty" TEXT NOT NULL,
    "price" TEXT NOT NULL,
    "fee" TEXT NOT NULL,
    "feeCurrency" TEXT NOT NULL,
    "liquidity" TEXT,
    "positionId" TEXT,
    "late" BOOLEAN NOT NULL DEFAULT false,
    "ts" REAL NOT NULL
);

-- CreateTable
CREATE TABLE "positions" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "symbol" TEXT NOT NULL,
    "side" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "quantity" TEXT NOT NULL,
    "avgEntryPrice" TEXT,
    "realizedPnl" TEXT NOT NULL,
    "feesPaid" TEXT NOT NULL,
    "openedAt" REAL NOT NULL,
    "closedAt" REAL,
    "strategy" TEXT,
    "signalId" TEXT,
    "exit" TEXT,
    "data" TEXT NOT NULL,
    "updatedAt" REAL NOT NULL
);

-- CreateTable
CREATE TABLE "trades" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "positionId" TEXT NOT NULL,
    "symbol" TEXT NOT NULL,
    "side" TEXT NOT NULL,
    "quantity" TEXT NOT NULL,
    "entryPrice" TEXT NOT NULL,
    "exitPrice" TEXT NOT NULL,
    "entryTime" REAL NOT NULL,
    "exitTime" REAL NOT NULL,
    "durationMs" REAL NOT NULL,
    "fees" TEXT NOT NULL,
    "grossPnl" TEXT NOT NULL,
    "pnl" TEXT NOT NULL,
    "pnlNum" REAL NOT NULL,
    "pnlPct" REAL NOT NULL,
    "outcome" TEXT NOT NULL,
    "exitReason" TEXT NOT NULL,
    "requestedPrice" TEXT,
    "entrySlippageBps" REAL,
    "exitSlippageBps" REAL,
    "strategy" TEXT,
    "signalId" TEXT
);

-- CreateTable
CREATE TABLE "signals" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "symbol" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "confidence" REAL NOT NULL,
    "expectedReturn" REAL,
    "stopLoss" TEXT,
    "takeProfit" TEXT,
    "strategy" TEXT NOT NULL,
    "ts" REAL NOT NULL,
    "receivedAt" REAL NOT NULL,
    "source" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "denyCode" TEXT,
    "denyReason" TEXT,
    "clientOrderId" TEXT
);

-- CreateTable
CREATE TABLE "balances" (
    "venue" TEXT NOT NULL,
    "currency" TEXT NOT NULL,
    "free" TEXT NOT NULL,
    "reserved" TEXT NOT NULL,
    "total" TEXT NOT NULL,
    "updatedAt" REAL NOT NULL,

    PRIMARY KEY ("venue", "currency")
);

-- CreateTable
CREATE TABLE "equity_snapshots" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "ts" REAL NOT NULL,
    "equity" TEXT NOT NULL,
    "equityNum" REAL NOT NULL,
    "cash" TEXT NOT NULL,
    "unrealized" TEXT NOT NULL,
    "realized" TEXT NOT NULL,
    "fees" TEXT NOT NULL,
    "exposure" TEXT NOT NULL,
    "cause" TEXT NOT NULL
);

-- CreateTable
CREATE TABLE "breaker_events" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "ts" REAL NOT NULL,
    "kind" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "message" TEXT NOT NULL,
    "by" TEXT NOT NULL,
    "action" TEXT,
    "detail" TEXT
);

-- CreateTable
CREATE TABLE "symbol_settings" (
    "symbol" TEXT NOT NULL PRIMARY KEY,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "settings" TEXT NOT NULL,
    "updatedAt" REAL NOT NULL,
    "updatedBy" TEXT NOT NULL
);

-- CreateTable
CREATE TABLE "audit_log" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "ts" REAL NOT NULL,
    "actor" TEXT NOT NULL,
    "role" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "target" TEXT,
    "reason" TEXT,
    "params" TEXT,
    "result" TEXT NOT NULL,
    "detail" TEXT
);

-- CreateTable
CREATE TABLE "reconciliation_drifts" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "ts" REAL NOT NULL,
    "venue" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "detail" TEXT NOT NULL,
    "resolved" BOOLEAN NOT NULL DEFAULT false,
    "resolution" TEXT
);

-- CreateTable
CREATE TABLE "users" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "username" TEXT NOT NULL,
    "passwordHash" TEXT NOT NULL,
    "role" TEXT NOT NULL,
    "disabled" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" REAL NOT NULL,
    "updatedAt" REAL NOT NULL
);

-- CreateTable
CREATE TABLE "sessions" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "userId" TEXT NOT NULL,
    "createdAt" REAL NOT NULL,
    "expiresAt" REAL NOT NULL,
    "lastSeenAt" REAL NOT NULL,
    CONSTRAINT "sessions_userId_fkey" FOREIGN KEY ("userId") REFERENCES "users" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "backtest_runs" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "createdAt" REAL NOT NULL,
    "status" TEXT NOT NULL,
    "dataSet" TEXT NOT NULL,
    "symbol" TEXT NOT NULL,
    "strategy" TEXT NOT NULL,
    "params" TEXT NOT NULL,
    "candles" INTEGER NOT NULL,
    "tradeCount" INTEGER NOT NULL,
    "finalEquity" TEXT NOT NULL,
    "totalReturnPct" REAL NOT NULL,
    "maxDrawdownPct" REAL NOT NULL,
    "sharpe" REAL,
    "winRatePct" REAL,
    "elapsedMs" REAL NOT NULL,
    "report" TEXT NOT NULL,
    "error" TEXT
);

-- CreateIndex
CREATE INDEX "orders_status_idx" ON "orders"("status");

-- CreateIndex
CREATE INDEX "orders_symbol_createdAt_idx" ON "orders"("symbol", "createdAt");

-- CreateIndex
CREATE INDEX "orders_createdAt_idx" ON "orders"("createdAt");

-- CreateIndex
CREATE INDEX "orders_positionId_idx" ON "orders"("positionId");

-- CreateIndex
CREATE INDEX "order_events_clientOrderId_seq_idx" ON "order_events"("clientOrderId", "seq");

-- CreateIndex
CREATE INDEX "order_events_ts_idx" ON "order_events"("ts");

-- CreateIndex
CREATE INDEX "fills_clientOrderId_idx" ON "fills"("clientOrderId");

-- CreateIndex
CREATE INDEX "fills_symbol_ts_idx" ON "fills"("symbol", "ts");

-- CreateIndex
CREATE INDEX "fills_positionId_idx" ON "fills"("positionId");

-- CreateIndex
CREATE UNIQUE INDEX "fills_venue_tradeId_key" ON "fills"("venue", "tradeId");

-- CreateIndex
CREATE INDEX "positions_state_idx" ON "positions"("state");

-- CreateIndex
CREATE INDEX "positions_symbol_state_idx" ON "positions"("symbol", "state");

-- CreateIndex
CREATE UNIQUE INDEX "trades_positionId_key" ON "trades"("positionId");

-- CreateIndex
CREATE INDEX "trades_exitTime_idx" ON "trades"("exitTime");

-- CreateIndex
CREATE INDEX "trades_symbol_exitTime_idx" ON "trades"("symbol", "exitTime");

-- CreateIndex
CREATE INDEX "trades_outcome_exitTime_idx" ON "trades"("outcome", "exitTime");

-- CreateIndex
CREATE INDEX "trades_exitReason_exitTime_idx" ON "trades"("exitReason", "exitTime");

-- CreateIndex
CREATE INDEX "trades_side_exitTime_idx" ON "trades"("side", "exitTime");

-- CreateIndex
CREATE INDEX "trades_pnlNum_idx" ON "trades"("pnlNum");

-- CreateIndex
CREATE INDEX "signals_receivedAt_idx" ON "signals"("receivedAt");

-- CreateIndex
CREATE INDEX "signals_symbol_receivedAt_idx" ON "signals"("symbol", "receivedAt");

-- CreateIndex
CREATE INDEX "equity_snapshots_ts_idx" ON "equity_snapshots"("ts");

-- CreateIndex
CREATE INDEX "breaker_events_ts_idx" ON "breaker_events"("ts");

-- CreateIndex
CREATE INDEX "audit_log_ts_idx" ON "audit_log"("ts");

-- CreateIndex
CREATE INDEX "audit_log_actor_ts_idx" ON "audit_log"("actor", "ts");

-- CreateIndex
CREATE INDEX "audit_log_action_ts_idx" ON "audit_log"("action", "ts");

-- CreateIndex
CREATE INDEX "reconciliation_drifts_ts_idx" ON "reconciliation_drifts"("ts");

-- CreateIndex
CREATE UNIQUE INDEX "users_username_key" ON "users"("username");

-- CreateIndex
CREATE INDEX "sessions_userId_idx" ON "sessions"("userId");

-- CreateIndex
CREATE INDEX "backtest_runs_createdAt_idx" ON "backtest_runs"("createdAt");
