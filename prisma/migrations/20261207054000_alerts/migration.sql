-- CreateTable
CREATE TABLE "alerts" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "key" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "severity" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "message" TEXT NOT NULL,
    "firstSeen" REAL NOT NULL,
    "lastSeen" REAL NOT NULL,
    "count" INTEGER NOT NULL,
    "status" TEXT NOT NULL,
    "resolvedAt" REAL,
    "acknowledgedAt" REAL,
    "acknowledgedBy" TEXT,
    "acknowledgeReason" TEXT
);

-- CreateTable
CREATE TABLE "alert_history" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "alertId" TEXT NOT NULL,
    "ts" REAL NOT NULL,
    "change" TEXT NOT NULL,
    "severity" TEXT NOT NULL,
    "message" TEXT NOT NULL,
    "actor" TEXT
);

-- CreateIndex
CREATE INDEX "alerts_acknowledgedAt_lastSeen_idx" ON "alerts"("acknowledgedAt", "lastSeen");

-- CreateIndex
CREATE INDEX "alerts_lastSeen_idx" ON "alerts"("lastSeen");

-- CreateIndex
CREATE INDEX "alerts_key_idx" ON "alerts"("key");

-- CreateIndex
CREATE INDEX "alert_history_alertId_id_idx" ON "alert_history"("alertId", "id");

-- CreateIndex
CREATE INDEX "alert_history_ts_idx" ON "alert_history"("ts");

