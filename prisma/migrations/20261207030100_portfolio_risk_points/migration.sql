-- CreateTable
CREATE TABLE "portfolio_risk_points" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "ts" REAL NOT NULL,
    "asOf" REAL NOT NULL,
    "var95Pct" REAL NOT NULL,
    "var99Pct" REAL NOT NULL,
    "es95Pct" REAL NOT NULL,
    "maxClusterExposurePct" REAL,
    "symbols" INTEGER NOT NULL
);

-- CreateIndex
CREATE INDEX "portfolio_risk_points_ts_idx" ON "portfolio_risk_points"("ts");
