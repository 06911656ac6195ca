-- CreateTable
CREATE TABLE "notification_deliveries" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "ts" REAL NOT NULL,
    "channel" TEXT NOT NULL,
    "notificationId" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "severity" TEXT NOT NULL,
    "attempt" INTEGER NOT NULL,
    "outcome" TEXT NOT NULL,
    "error" TEXT,
    "nextAttemptAt" REAL
);

-- CreateIndex
CREATE INDEX "notification_deliveries_ts_idx" ON "notification_deliveries"("ts");

-- CreateIndex
CREATE INDEX "notification_deliveries_channel_ts_idx" ON "notification_deliveries"("channel", "ts");

