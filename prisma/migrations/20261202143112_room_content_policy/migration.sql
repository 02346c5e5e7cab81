-- Issue 15 item 5: a room's own content rules (JSON; absent keys take the server defaults). A change
-- is a rooms UPDATE, so rooms_notify_change tells every replica's room cache.
ALTER TABLE "rooms" ADD COLUMN "policy" JSONB NOT NULL DEFAULT '{}';
