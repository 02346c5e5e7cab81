-- Issue 14 item 6: mutes. A mute is a timed write=false with a reason, per room (on the override row)
-- or on the whole server (on the user row): muted_until non-NULL = muted until then. It is kept
-- apart from the `write` column so that its end (the apply-futures job) restores whatever write
-- permission was there; moderators are never muted.

-- AlterTable
ALTER TABLE "users" ADD COLUMN "muted_until" DOUBLE PRECISION,
ADD COLUMN "mute_reason" TEXT;

-- AlterTable
ALTER TABLE "user_permission_overrides" ADD COLUMN "muted_until" DOUBLE PRECISION,
ADD COLUMN "mute_reason" TEXT;

-- CreateIndex: the job finds mutes that are due.
CREATE INDEX "users_muted_until_idx" ON "users"("muted_until");

-- CreateIndex
CREATE INDEX "user_permission_overrides_muted_until_idx" ON "user_permission_overrides"("muted_until");

-- The global mute is a cached user flag like banned: its changes notify the caches.
DROP TRIGGER "users_notify_change" ON "users";
CREATE TRIGGER "users_notify_change" AFTER UPDATE ON "users"
  FOR EACH ROW WHEN (OLD.session_id IS DISTINCT FROM NEW.session_id OR OLD.banned IS DISTINCT FROM NEW.banned
    OR OLD.moderator IS DISTINCT FROM NEW.moderator OR OLD.admin IS DISTINCT FROM NEW.admin
    OR OLD.visible_mod IS DISTINCT FROM NEW.visible_mod OR OLD.shadow_banned IS DISTINCT FROM NEW.shadow_banned
    OR OLD.trusted IS DISTINCT FROM NEW.trusted OR OLD.muted_until IS DISTINCT FROM NEW.muted_until
    OR OLD.mute_reason IS DISTINCT FROM NEW.mute_reason)
  EXECUTE FUNCTION "scs_notify_user_change"();
