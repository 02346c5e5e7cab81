-- Issue 19 item 6: what is stored, by kind ('room': room files, 'file_server': file-server files),
-- kept exact by triggers in the transactions that add or remove file rows, so the file server's
-- storage cap and the usage metrics read one row instead of summing a table. An insert holds its
-- kind's row until it commits: concurrent uploads queue there, and each sees the total with its own.

CREATE TABLE "storage_usage" (
    "kind" TEXT NOT NULL,
    "bytes" BIGINT NOT NULL DEFAULT 0,
    "files" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "storage_usage_pkey" PRIMARY KEY ("kind")
);

INSERT INTO "storage_usage" (kind, bytes, files) SELECT 'room', coalesce(sum(size), 0), count(*) FROM files;
INSERT INTO "storage_usage" (kind, bytes, files) SELECT 'file_server', coalesce(sum(size), 0), count(*) FROM server_files;

CREATE FUNCTION "scs_count_storage"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  v_kind TEXT := CASE TG_TABLE_NAME WHEN 'files' THEN 'room' ELSE 'file_server' END;
BEGIN
  IF TG_OP = 'INSERT' THEN
    UPDATE storage_usage SET bytes = bytes + NEW.size, files = files + 1 WHERE kind = v_kind;
  ELSIF TG_OP = 'DELETE' THEN
    UPDATE storage_usage SET bytes = bytes - OLD.size, files = files - 1 WHERE kind = v_kind;
  ELSIF NEW.size IS DISTINCT FROM OLD.size THEN
    UPDATE storage_usage SET bytes = bytes + NEW.size - OLD.size WHERE kind = v_kind;
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER "files_count_storage" AFTER INSERT OR DELETE OR UPDATE OF size ON "files"
  FOR EACH ROW EXECUTE FUNCTION "scs_count_storage"();
CREATE TRIGGER "server_files_count_storage" AFTER INSERT OR DELETE OR UPDATE OF size ON "server_files"
  FOR EACH ROW EXECUTE FUNCTION "scs_count_storage"();
