-- Writes per order (issue 10: 10,000 resting orders under 2 s). Every index is a page written at each commit that
-- touches its table. No query reads order_events by ts (the journal is read by order and by seq): dropped.
-- The Orders page filters by status, newest first: (status, createdAt) serves that filter without sorting every
-- order of the status (status alone sorted every FILLED order), at the same write cost as the index it replaces.
-- audit_log_ts_idx stays: the Audit page filters by date alone.

-- DropIndex
DROP INDEX "order_events_ts_idx";

-- DropIndex
DROP INDEX "orders_status_idx";

-- CreateIndex
CREATE INDEX "orders_status_createdAt_idx" ON "orders"("status", "createdAt");
