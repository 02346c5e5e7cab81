-- Issue 15 item 7: identical uploads share one object server-wide, so what files take (storage_usage
-- 'room', 'file_server': every file counted) and what storage holds (each object once) now differ.
-- The 'objects' row counts storage_objects, kept by a trigger like the others: the usage after
-- deduplication. Content hashes are now derived from the SHA-256 under a new label, so objects
-- stored before keep theirs and are simply not shared with later uploads.

INSERT INTO "storage_usage" (kind, bytes, files) SELECT 'objects', coalesce(sum(size), 0), count(*) FROM storage_objects;

CREATE FUNCTION "scs_count_objects"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    UPDATE storage_usage SET bytes = bytes + NEW.size, files = files + 1 WHERE kind = 'objects';
  ELSIF TG_OP = 'DELETE' THEN
    UPDATE storage_usage SET bytes = bytes - OLD.size, files = files - 1 WHERE kind = 'objects';
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER "storage_objects_count" AFTER INSERT OR DELETE ON "storage_objects"
  FOR EACH ROW EXECUTE FUNCTION "scs_count_objects"();
