-- Order lists (OCO, OTO, bracket) kept by the engine (server/engine/order-lists.ts): one row per list, its record as
-- JSON; a restart reloads the WORKING ones and goes on reacting to their legs.

-- CreateTable
CREATE TABLE "order_lists" (
    "listId" TEXT NOT NULL PRIMARY KEY,
    "kind" TEXT NOT NULL,
    "symbol" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "data" TEXT NOT NULL,
    "createdAt" REAL NOT NULL,
    "updatedAt" REAL NOT NULL
);

-- CreateIndex
CREATE INDEX "order_lists_status_createdAt_idx" ON "order_lists"("status", "createdAt");
