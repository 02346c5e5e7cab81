-- A new post in one round trip (spec §6.3, §7.1; issue 7), called by RoomsRepository.postMessage.
-- It locks the room row first, so posts to one room (and copies of one post) queue here across
-- replicas. In READ COMMITTED every statement of a function takes a new snapshot, so the repeat
-- check after the lock sees a copy committed while this call waited: a single statement could not
-- (its one snapshot predates the wait). Outcomes: 'posted' (id, seqno), 'repeated' (the earlier
-- message's id), 'no_recipient' (whisper_to names no user), 'no_room'; only 'posted' changes anything.

CREATE FUNCTION "scs_post_message"(
  p_room INTEGER,
  p_user INTEGER,
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
    SELECT u.id INTO v_whisper FROM users u WHERE u.session_id = p_whisper_to;
    IF NOT FOUND THEN
      RETURN QUERY SELECT 'no_recipient', NULL::INTEGER, NULL::INTEGER;
      RETURN;
    END IF;
  END IF;
  UPDATE rooms r SET message_sequence = r.message_sequence + 1 WHERE r.id = p_room RETURNING r.message_sequence INTO v_seqno;
  INSERT INTO messages AS m (room, "user", posted, seqno, seqno_data, seqno_reactions, seqno_creation, data, data_size, signature, filtered, whisper, whisper_mods)
    VALUES (p_room, p_user, p_posted, v_seqno, v_seqno, 0, v_seqno, p_data, length(p_data), p_signature, p_filtered, v_whisper, p_whisper_mods)
    RETURNING m.id INTO v_id;
  RETURN QUERY SELECT 'posted', v_id, v_seqno;
END $$;
