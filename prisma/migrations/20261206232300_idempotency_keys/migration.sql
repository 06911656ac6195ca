-- CreateTable
CREATE TABLE "idempotency_keys" (
    "actor" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "path" TEXT NOT NULL,
    "inputHash" TEXT NOT NULL,
    "createdAt" REAL NOT NULL,
    "result" TEXT NOT NULL,

    PRIMARY KEY ("actor", "key")
);

-- CreateIndex
CREATE INDEX "idempotency_keys_createdAt_idx" ON "idempotency_keys"("createdAt");
