-- Change notifications for the in-process caches of the poll path (issue 7): every committed change
-- to what an idle poll reads is announced on channel "scs_changes", whoever made it (any replica,
-- the CLI, an import, an admin's SQL). NOTIFY is transactional: listeners hear of a change only
-- once it is visible, and never of a rolled-back one.
-- Payloads: r<room id> (room row changed), R (a room was created or deleted),
-- o<room id>:<user id> (permission override changed), u<user id> (user flags changed or user deleted),
-- i<recipient id>:<sender id> (a direct message was stored).

CREATE FUNCTION "scs_notify_room_change"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    PERFORM pg_notify('scs_changes', 'r' || NEW.id);
  ELSE
    PERFORM pg_notify('scs_changes', 'R');
  END IF;
  RETURN NULL;
END $$;

CREATE FUNCTION "scs_notify_override_change"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    PERFORM pg_notify('scs_changes', 'o' || OLD.room || ':' || OLD."user");
  END IF;
  IF TG_OP <> 'DELETE' THEN
    PERFORM pg_notify('scs_changes', 'o' || NEW.room || ':' || NEW."user");
  END IF;
  RETURN NULL;
END $$;

CREATE FUNCTION "scs_notify_user_change"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('scs_changes', 'u' || OLD.id);
  RETURN NULL;
END $$;

CREATE FUNCTION "scs_notify_inbox_change"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('scs_changes', 'i' || NEW.recipient || ':' || NEW.sender);
  RETURN NULL;
END $$;

CREATE TRIGGER "rooms_notify_change" AFTER INSERT OR UPDATE OR DELETE ON "rooms"
  FOR EACH ROW EXECUTE FUNCTION "scs_notify_room_change"();

CREATE TRIGGER "user_permission_overrides_notify_change" AFTER INSERT OR UPDATE OR DELETE ON "user_permission_overrides"
  FOR EACH ROW EXECUTE FUNCTION "scs_notify_override_change"();

-- last_active is rewritten on every request (throttled) and is not cached: it does not notify.
CREATE TRIGGER "users_notify_change" AFTER UPDATE ON "users"
  FOR EACH ROW WHEN (OLD.session_id IS DISTINCT FROM NEW.session_id OR OLD.banned IS DISTINCT FROM NEW.banned
    OR OLD.moderator IS DISTINCT FROM NEW.moderator OR OLD.admin IS DISTINCT FROM NEW.admin
    OR OLD.visible_mod IS DISTINCT FROM NEW.visible_mod)
  EXECUTE FUNCTION "scs_notify_user_change"();

CREATE TRIGGER "users_notify_delete" AFTER DELETE ON "users"
  FOR EACH ROW EXECUTE FUNCTION "scs_notify_user_change"();

CREATE TRIGGER "inbox_notify_insert" AFTER INSERT ON "inbox"
  FOR EACH ROW EXECUTE FUNCTION "scs_notify_inbox_change"();
