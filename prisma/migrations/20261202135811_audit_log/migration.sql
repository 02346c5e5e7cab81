-- CreateTable
CREATE TABLE "audit_log" (
    "id" BIGSERIAL NOT NULL,
    "at" DOUBLE PRECISION NOT NULL,
    "actor" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "room" INTEGER,
    "room_token" TEXT,
    "target" TEXT,
    "reason" TEXT,
    "details" JSONB,

    CONSTRAINT "audit_log_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "audit_log_at_idx" ON "audit_log"("at");

-- CreateIndex
CREATE INDEX "audit_log_room_at_idx" ON "audit_log"("room", "at");

-- CreateIndex
CREATE INDEX "audit_log_target_at_idx" ON "audit_log"("target", "at");

-- AddForeignKey
ALTER TABLE "audit_log" ADD CONSTRAINT "audit_log_room_fkey" FOREIGN KEY ("room") REFERENCES "rooms"("id") ON DELETE SET NULL ON UPDATE CASCADE;
