-- The arbitrage executor (server/engine/arbitrage.ts): its round trips (one row per round trip, its legs and what
-- happened as JSON, saved before each leg is sent) and the opportunities it looked at (taken, or skipped with the
-- reason; a run of skips for one reason is one row with a count).

-- CreateTable
CREATE TABLE "arb_round_trips" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "pairId" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "pnl" TEXT,
    "data" TEXT NOT NULL,
    "openedAt" REAL NOT NULL,
    "updatedAt" REAL NOT NULL
);

-- CreateTable
CREATE TABLE "arb_opportunities" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "pairId" TEXT NOT NULL,
    "outcome" TEXT NOT NULL,
    "code" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "count" INTEGER NOT NULL,
    "firstTs" REAL NOT NULL,
    "lastTs" REAL NOT NULL,
    "bestNetBps" TEXT,
    "buyVenue" TEXT,
    "sellVenue" TEXT,
    "qty" TEXT,
    "roundTripId" TEXT
);

-- CreateIndex
CREATE INDEX "arb_round_trips_status_openedAt_idx" ON "arb_round_trips"("status", "openedAt");

-- CreateIndex
CREATE INDEX "arb_opportunities_pairId_lastTs_idx" ON "arb_opportunities"("pairId", "lastTs");
