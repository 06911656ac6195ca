-- RedefineTables: a trade keeps the venue it traded on (a symbol listed on two venues left History without one: the
-- venue was looked up by symbol in `instruments`). Redefined rather than ALTERed so that the table's SQL is the one
-- prisma/schema.prisma describes (db:check); rowids are kept (the History totals' rollup reads by rowid).
-- A trade before this column takes its closing order's venue (the newest order of its position), else its symbol's
-- listing; null only when both are gone.
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_trades" (
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
    "signalId" TEXT,
    "venue" TEXT
);
INSERT INTO "new_trades" ("rowid", "id", "positionId", "symbol", "side", "quantity", "entryPrice", "exitPrice", "entryTime", "exitTime", "durationMs", "fees", "grossPnl", "pnl", "pnlNum", "pnlPct", "outcome", "exitReason", "requestedPrice", "entrySlippageBps", "exitSlippageBps", "strategy", "signalId", "venue")
SELECT t."rowid", t."id", t."positionId", t."symbol", t."side", t."quantity", t."entryPrice", t."exitPrice", t."entryTime", t."exitTime", t."durationMs", t."fees", t."grossPnl", t."pnl", t."pnlNum", t."pnlPct", t."outcome", t."exitReason", t."requestedPrice", t."entrySlippageBps", t."exitSlippageBps", t."strategy", t."signalId",
    COALESCE(
        (SELECT o."venue" FROM "orders" o WHERE o."positionId" = t."positionId" ORDER BY o."createdAt" DESC LIMIT 1),
        (SELECT i."venue" FROM "instruments" i WHERE i."symbol" = t."symbol" LIMIT 1)
    )
FROM "trades" t ORDER BY t."rowid";
DROP TABLE "trades";
ALTER TABLE "new_trades" RENAME TO "trades";
CREATE UNIQUE INDEX "trades_positionId_key" ON "trades"("positionId");
CREATE INDEX "trades_exitTime_idx" ON "trades"("exitTime");
CREATE INDEX "trades_symbol_exitTime_idx" ON "trades"("symbol", "exitTime");
CREATE INDEX "trades_venue_exitTime_idx" ON "trades"("venue", "exitTime");
CREATE INDEX "trades_outcome_exitTime_idx" ON "trades"("outcome", "exitTime");
CREATE INDEX "trades_exitReason_exitTime_idx" ON "trades"("exitReason", "exitTime");
CREATE INDEX "trades_side_exitTime_idx" ON "trades"("side", "exitTime");
CREATE INDEX "trades_pnlNum_idx" ON "trades"("pnlNum");
CREATE INDEX "trades_entryTime_idx" ON "trades"("entryTime");
CREATE INDEX "trades_pnlPct_idx" ON "trades"("pnlPct");
CREATE INDEX "trades_durationMs_idx" ON "trades"("durationMs");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;
