-- Issue 15 item 6: SHA-256 digests of content refused on every upload (room files and the file server).
CREATE TABLE "attachment_blocklist" (
    "sha256" BYTEA NOT NULL,
    "reason" TEXT,
    "added" DOUBLE PRECISION NOT NULL DEFAULT date_part('epoch'::text, now()),

    CONSTRAINT "attachment_blocklist_pkey" PRIMARY KEY ("sha256")
);
