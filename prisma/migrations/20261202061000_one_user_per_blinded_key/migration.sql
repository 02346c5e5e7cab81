-- Issue 19 item 7: whoever can sign as a blind15 key kA can sign as -kA too (same key with the sign
-- bit of its encoding flipped), so the two 15 ids are one person. users.canonical_id is the id with
-- that bit cleared (for 15 ids; any other id is its own), unique: both ids find the one row that
-- holds bans, permissions, moderator rights, rate limits and quotas. A message keeps the id it was
-- signed as (clients verify its signature against it) in messages.signed_as when that is not its
-- user's session_id.

CREATE FUNCTION "scs_canonical_id"(p_session_id TEXT) RETURNS TEXT LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN p_session_id ~ '^15[0-9a-f]{64}$'
    THEN left(p_session_id, 64) || lpad(to_hex(get_byte(decode(right(p_session_id, 2), 'hex'), 0) & 127), 2, '0')
    ELSE p_session_id END
$$;

ALTER TABLE "messages" ADD COLUMN "signed_as" TEXT;

-- Twins already stored as two rows become one: the older row keeps everything of both (bans and
-- rights by OR, so no ban is lost), the messages of the younger remember the id they were signed as.
CREATE TEMPORARY TABLE "twins" ON COMMIT DROP AS
  SELECT t.id AS twin, k.id AS keep, t.session_id FROM users t
  JOIN users k ON scs_canonical_id(k.session_id) = scs_canonical_id(t.session_id) AND k.id < t.id;

UPDATE users k SET banned = k.banned OR t.banned, moderator = k.moderator OR t.moderator, admin = k.admin OR t.admin,
    visible_mod = k.visible_mod OR t.visible_mod, last_active = greatest(k.last_active, t.last_active)
  FROM twins x JOIN users t ON t.id = x.twin WHERE k.id = x.keep;
UPDATE messages m SET signed_as = x.session_id, "user" = x.keep FROM twins x WHERE m."user" = x.twin;
UPDATE messages m SET whisper = x.keep FROM twins x WHERE m.whisper = x.twin;
UPDATE pinned_messages p SET pinned_by = x.keep FROM twins x WHERE p.pinned_by = x.twin;
UPDATE files f SET uploader = x.keep FROM twins x WHERE f.uploader = x.twin;
UPDATE inbox i SET sender = x.keep FROM twins x WHERE i.sender = x.twin;
UPDATE inbox i SET recipient = x.keep FROM twins x WHERE i.recipient = x.twin;
UPDATE user_permission_futures f SET "user" = x.keep FROM twins x WHERE f."user" = x.twin;
UPDATE user_ban_futures b SET "user" = x.keep FROM twins x WHERE b."user" = x.twin;
-- Overrides of both in one room: bans and rights by OR, a refused permission stays refused.
INSERT INTO user_permission_overrides AS o (room, "user", banned, read, accessible, write, upload, moderator, admin, visible_mod)
  SELECT t.room, x.keep, t.banned, t.read, t.accessible, t.write, t.upload, t.moderator, t.admin, t.visible_mod
  FROM user_permission_overrides t JOIN twins x ON t."user" = x.twin
  ON CONFLICT (room, "user") DO UPDATE SET
    banned = o.banned OR EXCLUDED.banned, moderator = o.moderator OR EXCLUDED.moderator, admin = o.admin OR EXCLUDED.admin,
    visible_mod = o.visible_mod OR EXCLUDED.visible_mod,
    read = CASE WHEN o.read = FALSE OR EXCLUDED.read = FALSE THEN FALSE ELSE coalesce(o.read, EXCLUDED.read) END,
    accessible = CASE WHEN o.accessible = FALSE OR EXCLUDED.accessible = FALSE THEN FALSE ELSE coalesce(o.accessible, EXCLUDED.accessible) END,
    write = CASE WHEN o.write = FALSE OR EXCLUDED.write = FALSE THEN FALSE ELSE coalesce(o.write, EXCLUDED.write) END,
    upload = CASE WHEN o.upload = FALSE OR EXCLUDED.upload = FALSE THEN FALSE ELSE coalesce(o.upload, EXCLUDED.upload) END;
INSERT INTO room_users AS r (room, "user", last_active)
  SELECT t.room, x.keep, t.last_active FROM room_users t JOIN twins x ON t."user" = x.twin
  ON CONFLICT (room, "user") DO UPDATE SET last_active = greatest(r.last_active, EXCLUDED.last_active);
INSERT INTO user_reactions (reaction, "user", at)
  SELECT t.reaction, x.keep, t.at FROM user_reactions t JOIN twins x ON t."user" = x.twin
  ON CONFLICT (reaction, "user") DO NOTHING;
UPDATE needs_blinding n SET "user" = x.keep FROM twins x
  WHERE n."user" = x.twin AND NOT EXISTS (SELECT 1 FROM needs_blinding k WHERE k."user" = x.keep);
-- What is left on the younger rows (merged above) goes with them.
DELETE FROM users u USING twins x WHERE u.id = x.twin;

ALTER TABLE "users" ADD COLUMN "canonical_id" TEXT NOT NULL GENERATED ALWAYS AS (scs_canonical_id(session_id)) STORED;
CREATE UNIQUE INDEX "users_canonical_id_key" ON "users"("canonical_id");

-- scs_post_message stores the id a post was signed as (NULL when it is its user's own) and finds
-- a whisper recipient by either of its ids.
DROP FUNCTION "scs_post_message"(INTEGER, INTEGER, DOUBLE PRECISION, BYTEA, BYTEA, BOOLEAN, TEXT, BOOLEAN, DOUBLE PRECISION);
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
  p_repeat_since DOUBLE PRECISION
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
  INSERT INTO messages AS m (room, "user", signed_as, posted, seqno, seqno_data, seqno_reactions, seqno_creation, data, data_size, signature, filtered, whisper, whisper_mods)
    VALUES (p_room, p_user, NULLIF(p_signed_as, (SELECT u.session_id FROM users u WHERE u.id = p_user)), p_posted, v_seqno, v_seqno, 0, v_seqno,
      p_data, length(p_data), p_signature, p_filtered, v_whisper, p_whisper_mods)
    RETURNING m.id INTO v_id;
  RETURN QUERY SELECT 'posted', v_id, v_seqno;
END $$;
