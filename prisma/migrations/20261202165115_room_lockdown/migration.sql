-- Issue 15 item 2: a room's lockdown, until an epoch time (NULL = none). The permission computation
-- compares it with the clock, so it ends by itself; a change is a rooms UPDATE (rooms_notify_change).
ALTER TABLE "rooms" ADD COLUMN "lockdown_until" DOUBLE PRECISION;
ALTER TABLE "rooms" ADD COLUMN "lockdown_reason" TEXT;
