-- CreateTable
CREATE TABLE "order_routes" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "symbol" TEXT NOT NULL,
    "side" TEXT NOT NULL,
    "mode" TEXT NOT NULL,
    "requestedQty" TEXT NOT NULL,
    "routedQty" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "data" TEXT NOT NULL,
    "createdAt" REAL NOT NULL,
    "updatedAt" REAL NOT NULL
);

-- CreateIndex
CREATE INDEX "order_routes_createdAt_idx" ON "order_routes"("createdAt");

