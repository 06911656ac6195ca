-- CreateTable
CREATE TABLE "parent_orders" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "symbol" TEXT NOT NULL,
    "side" TEXT NOT NULL,
    "algo" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "targetQty" TEXT NOT NULL,
    "filledQty" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "meta" TEXT NOT NULL,
    "createdAt" REAL NOT NULL,
    "updatedAt" REAL NOT NULL
);

-- CreateIndex
CREATE INDEX "parent_orders_status_idx" ON "parent_orders"("status");

-- CreateIndex
CREATE INDEX "parent_orders_createdAt_idx" ON "parent_orders"("createdAt");
