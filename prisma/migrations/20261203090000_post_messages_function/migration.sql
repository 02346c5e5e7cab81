-- Issue 18 item 3: posts in group commits. scs_post_messages stores a batch of posts in one
-- statement, so one transaction and one WAL flush: each post as scs_post_message stores it, in
-- room-id order (then in the order given), so that two batches running at once, from any replica,
-- take the room locks in the same order and never deadlock. Its rows are (ord, outcome, id, seqno),
-- ord the post's 1-based place in the arrays; a post's outcome is its own (a repeat, a missing
-- recipient or room stores nothing and leaves the others alone), and a repeat of a post earlier
-- in the same batch finds it (the loop sees its own inserts).
CREATE FUNCTION "scs_post_messages"(
  p_room INTEGER[],
  p_user INTEGER[],
  p_signed_as TEXT[],
  p_posted DOUBLE PRECISION[],
  p_data BYTEA[],
  p_signature BYTEA[],
  p_filtered BOOLEAN[],
  p_whisper_to TEXT[],
  p_whisper_mods BOOLEAN[],
  p_repeat_since DOUBLE PRECISION[],
  p_hidden TEXT[]
) RETURNS TABLE ("ord" INTEGER, "outcome" TEXT, "id" INTEGER, "seqno" INTEGER) LANGUAGE plpgsql AS $$
DECLARE
  p RECORD;
BEGIN
  FOR p IN SELECT * FROM unnest(p_room, p_user, p_signed_as, p_posted, p_data, p_signature, p_filtered, p_whisper_to, p_whisper_mods, p_repeat_since, p_hidden)
      WITH ORDINALITY AS x(room, usr, signed_as, posted, data, signature, filtered, whisper_to, whisper_mods, repeat_since, hidden, n)
    ORDER BY x.room, x.n
  LOOP
    RETURN QUERY SELECT p.n::INTEGER, r.outcome, r.id, r.seqno
      FROM scs_post_message(p.room, p.usr, p.signed_as, p.posted, p.data, p.signature, p.filtered, p.whisper_to, p.whisper_mods, p.repeat_since, p.hidden) r;
  END LOOP;
END $$;
