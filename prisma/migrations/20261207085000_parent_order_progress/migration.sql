-- RedefineTables: a parent's progress beside its first whole state (per-step saves write only what changed).
-- Redefined rather than ALTERed so that the table's SQL is the one prisma/schema.prisma describes (db:check).
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_parent_orders" (
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
    "updatedAt" REAL NOT NULL,
    "progress" TEXT
);
INSERT INTO "new_parent_orders" ("algo", "createdAt", "filledQty", "id", "meta", "side", "state", "status", "symbol", "targetQty", "updatedAt") SELECT "algo", "createdAt", "filledQty", "id", "meta", "side", "state", "status", "symbol", "targetQty", "updatedAt" FROM "parent_orders";
DROP TABLE "parent_orders";
ALTER TABLE "new_parent_orders" RENAME TO "parent_orders";
CREATE INDEX "parent_orders_status_idx" ON "parent_orders"("status");
CREATE INDEX "parent_orders_createdAt_idx" ON "parent_orders"("createdAt");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateTable
CREATE TABLE "parent_order_children" (
    "clientOrderId" TEXT NOT NULL PRIMARY KEY,
    "parentId" TEXT NOT NULL,
    "slice" INTEGER NOT NULL,
    "state" TEXT NOT NULL,
    "updatedAt" REAL NOT NULL
);

-- CreateIndex
CREATE INDEX "parent_order_children_parentId_slice_idx" ON "parent_order_children"("parentId", "slice");
