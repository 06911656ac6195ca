-- RedefineTables: the allocation's target and current weights beside each recorded portfolio risk point.
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_portfolio_risk_points" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "ts" REAL NOT NULL,
    "asOf" REAL NOT NULL,
    "var95Pct" REAL NOT NULL,
    "var99Pct" REAL NOT NULL,
    "es95Pct" REAL NOT NULL,
    "maxClusterExposurePct" REAL,
    "symbols" INTEGER NOT NULL,
    "targets" TEXT,
    "current" TEXT
);
INSERT INTO "new_portfolio_risk_points" ("asOf", "es95Pct", "id", "maxClusterExposurePct", "symbols", "ts", "var95Pct", "var99Pct") SELECT "asOf", "es95Pct", "id", "maxClusterExposurePct", "symbols", "ts", "var95Pct", "var99Pct" FROM "portfolio_risk_points";
DROP TABLE "portfolio_risk_points";
ALTER TABLE "new_portfolio_risk_points" RENAME TO "portfolio_risk_points";
CREATE INDEX "portfolio_risk_points_ts_idx" ON "portfolio_risk_points"("ts");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;
