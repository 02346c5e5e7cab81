-- Issue 14 item 2: trusted users and new users (src/moderation/standing.service.ts).
-- users.trusted / user_permission_overrides.trusted: set by a moderator (`trust add`), exempt from the
-- rules for new and untrusted users. rooms.new_user_posts / new_user_age: the room's own new-user
-- bounds; NULL = the config default (NEW_USER_POSTS, NEW_USER_AGE).

-- AlterTable
ALTER TABLE "users" ADD COLUMN "trusted" BOOLEAN NOT NULL DEFAULT false;

-- AlterTable
ALTER TABLE "user_permission_overrides" ADD COLUMN "trusted" BOOLEAN NOT NULL DEFAULT false;

-- AlterTable
ALTER TABLE "rooms" ADD COLUMN "new_user_posts" INTEGER,
ADD COLUMN "new_user_age" INTEGER;

-- AlterTable: when the user was first seen in the room (set once, by the server's clock, with the
-- row). Existing rows take the user's first request on the server: never later than the truth, so
-- no one already here becomes new with the upgrade.
ALTER TABLE "room_users" ADD COLUMN "first_seen" DOUBLE PRECISION NOT NULL DEFAULT date_part('epoch'::text, now());
UPDATE "room_users" ru SET "first_seen" = LEAST(u.created, ru.last_active) FROM "users" u WHERE u.id = ru."user";

-- The global trusted flag is a cached user flag like banned: its changes notify the caches.
DROP TRIGGER "users_notify_change" ON "users";
CREATE TRIGGER "users_notify_change" AFTER UPDATE ON "users"
  FOR EACH ROW WHEN (OLD.session_id IS DISTINCT FROM NEW.session_id OR OLD.banned IS DISTINCT FROM NEW.banned
    OR OLD.moderator IS DISTINCT FROM NEW.moderator OR OLD.admin IS DISTINCT FROM NEW.admin
    OR OLD.visible_mod IS DISTINCT FROM NEW.visible_mod OR OLD.shadow_banned IS DISTINCT FROM NEW.shadow_banned
    OR OLD.trusted IS DISTINCT FROM NEW.trusted)
  EXECUTE FUNCTION "scs_notify_user_change"();
