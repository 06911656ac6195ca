-- CreateIndex
CREATE INDEX "trades_entryTime_idx" ON "trades"("entryTime");

-- CreateIndex
CREATE INDEX "trades_pnlPct_idx" ON "trades"("pnlPct");

-- CreateIndex
CREATE INDEX "trades_durationMs_idx" ON "trades"("durationMs");
