-- Issue 14 part B: shadow bans, held posts, reports, under one visibility rule (src/rooms/visibility.ts).
-- messages.hidden: NULL = visible to everyone who may see the message; 'held' (awaiting a
-- moderator), 'shadow' (its author was shadow-banned when posting) or 'reported' (hidden by reports):
-- then only its author and the room's moderators see it. user_reactions.hidden: a shadow-banned
-- user's reaction or a report (🚩), counted only for its reactor and moderators.

-- AlterTable
ALTER TABLE "messages" ADD COLUMN "hidden" TEXT;

-- AlterTable
ALTER TABLE "user_reactions" ADD COLUMN "hidden" BOOLEAN NOT NULL DEFAULT false;

-- AlterTable
ALTER TABLE "users" ADD COLUMN "shadow_banned" BOOLEAN NOT NULL DEFAULT false;

-- AlterTable
ALTER TABLE "user_permission_overrides" ADD COLUMN "shadow_banned" BOOLEAN NOT NULL DEFAULT false;

-- AlterTable: a scheduled change of the shadow ban rather than of the ban.
ALTER TABLE "user_ban_futures" ADD COLUMN "shadow" BOOLEAN NOT NULL DEFAULT false;

-- AlterTable: per-room moderation settings; NULL = the server default of the config.
ALTER TABLE "rooms" ADD COLUMN "held_mode" TEXT,
ADD COLUMN "report_threshold" INTEGER,
ADD COLUMN "approve_emoji" TEXT,
ADD COLUMN "reject_emoji" TEXT,
ADD COLUMN "report_emoji" TEXT;

-- CreateTable: one report per user and message; outcome NULL while open, 'upheld' (the message was
-- rejected) or 'dismissed' (it was approved). Rows older than REPORTS_RETENTION are pruned.
CREATE TABLE "reports" (
    "id" SERIAL NOT NULL,
    "room" INTEGER NOT NULL,
    "message" INTEGER NOT NULL,
    "user" INTEGER NOT NULL,
    "at" DOUBLE PRECISION NOT NULL,
    "counted" BOOLEAN NOT NULL,
    "outcome" TEXT,
    "decided" DOUBLE PRECISION,

    CONSTRAINT "reports_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "reports_message_user_key" ON "reports"("message", "user");

-- CreateIndex
CREATE INDEX "reports_user_at_idx" ON "reports"("user", "at");

-- CreateIndex
CREATE INDEX "reports_room_outcome_idx" ON "reports"("room", "outcome");

-- CreateIndex
CREATE INDEX "reports_at_idx" ON "reports"("at");

-- AddForeignKey
ALTER TABLE "reports" ADD CONSTRAINT "reports_room_fkey" FOREIGN KEY ("room") REFERENCES "rooms"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "reports" ADD CONSTRAINT "reports_message_fkey" FOREIGN KEY ("message") REFERENCES "messages"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "reports" ADD CONSTRAINT "reports_user_fkey" FOREIGN KEY ("user") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- The global shadow ban is a cached user flag like banned: its changes notify the caches.
DROP TRIGGER "users_notify_change" ON "users";
CREATE TRIGGER "users_notify_change" AFTER UPDATE ON "users"
  FOR EACH ROW WHEN (OLD.session_id IS DISTINCT FROM NEW.session_id OR OLD.banned IS DISTINCT FROM NEW.banned
    OR OLD.moderator IS DISTINCT FROM NEW.moderator OR OLD.admin IS DISTINCT FROM NEW.admin
    OR OLD.visible_mod IS DISTINCT FROM NEW.visible_mod OR OLD.shadow_banned IS DISTINCT FROM NEW.shadow_banned)
  EXECUTE FUNCTION "scs_notify_user_change"();

-- scs_post_message stores whether the post is hidden (held or shadow) in the same statement, so no
-- reader ever sees it visible first.
DROP FUNCTION "scs_post_message"(INTEGER, INTEGER, TEXT, DOUBLE PRECISION, BYTEA, BYTEA, BOOLEAN, TEXT, BOOLEAN, DOUBLE PRECISION);
CREATE FUNCTION "scs_post_message"(
  p_room INTEGER,
  p_user INTEGER,
  p_signed_as TEXT,
  p_posted DOUBLE PRECISION,
  p_data BYTEA,
  p_signature BYTEA,
  p_filtered BOOLEAN,
  p_whisper_to TEXT,
  p_whisper_mods BOOLEAN,
  p_repeat_since DOUBLE PRECISION,
  p_hidden TEXT
) RETURNS TABLE ("outcome" TEXT, "id" INTEGER, "seqno" INTEGER) LANGUAGE plpgsql AS $$
DECLARE
  v_whisper INTEGER;
  v_seqno INTEGER;
  v_id INTEGER;
BEGIN
  -- The lock the UPDATE below takes, taken before the checks so that a repeat uses up no seqno.
  PERFORM FROM rooms r WHERE r.id = p_room FOR NO KEY UPDATE;
  IF NOT FOUND THEN
    RETURN QUERY SELECT 'no_room', NULL::INTEGER, NULL::INTEGER;
    RETURN;
  END IF;
  -- NULL p_repeat_since: no idempotency window (POST_IDEMPOTENCY_WINDOW = 0).
  IF p_repeat_since IS NOT NULL THEN
    SELECT m.id INTO v_id FROM messages m
      WHERE m.room = p_room AND m."user" = p_user AND m.posted >= p_repeat_since AND m.signature = p_signature
      ORDER BY m.id LIMIT 1;
    IF FOUND THEN
      RETURN QUERY SELECT 'repeated', v_id, NULL::INTEGER;
      RETURN;
    END IF;
  END IF;
  IF p_whisper_to IS NOT NULL THEN
    SELECT u.id INTO v_whisper FROM users u WHERE u.canonical_id = scs_canonical_id(p_whisper_to);
    IF NOT FOUND THEN
      RETURN QUERY SELECT 'no_recipient', NULL::INTEGER, NULL::INTEGER;
      RETURN;
    END IF;
  END IF;
  UPDATE rooms r SET message_sequence = r.message_sequence + 1 WHERE r.id = p_room RETURNING r.message_sequence INTO v_seqno;
  INSERT INTO messages AS m (room, "user", signed_as, posted, seqno, seqno_data, seqno_reactions, seqno_creation, data, data_size, signature, filtered, whisper, whisper_mods, hidden)
    VALUES (p_room, p_user, NULLIF(p_signed_as, (SELECT u.session_id FROM users u WHERE u.id = p_user)), p_posted, v_seqno, v_seqno, 0, v_seqno,
      p_data, length(p_data), p_signature, p_filtered, v_whisper, p_whisper_mods, p_hidden)
    RETURNING m.id INTO v_id;
  RETURN QUERY SELECT 'posted', v_id, v_seqno;
END $$;
