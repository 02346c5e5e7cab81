-- DropIndex
DROP INDEX "files_room_content_hash_idx";

-- AlterTable
ALTER TABLE "files" DROP COLUMN "content_hash",
DROP COLUMN "key_id",
DROP COLUMN "wrapped_key";

-- AlterTable
ALTER TABLE "server_files" DROP COLUMN "key_id",
DROP COLUMN "wrapped_key";

-- CreateTable
CREATE TABLE "storage_objects" (
    "key" TEXT NOT NULL,
    "refs" INTEGER NOT NULL DEFAULT 0,
    "size" INTEGER NOT NULL,
    "key_id" TEXT NOT NULL,
    "wrapped_key" BYTEA NOT NULL,
    "content_hash" BYTEA,
    "created" DOUBLE PRECISION NOT NULL DEFAULT date_part('epoch'::text, now()),
    "delete_after" DOUBLE PRECISION,

    CONSTRAINT "storage_objects_pkey" PRIMARY KEY ("key")
);

-- CreateIndex
CREATE INDEX "storage_objects_content_hash_idx" ON "storage_objects"("content_hash");

-- CreateIndex
CREATE INDEX "storage_objects_delete_after_idx" ON "storage_objects"("delete_after");

-- CreateIndex
CREATE INDEX "storage_objects_key_id_idx" ON "storage_objects"("key_id");

-- CreateIndex
CREATE INDEX "files_object_key_idx" ON "files"("object_key");

-- CreateIndex
CREATE INDEX "server_files_object_key_idx" ON "server_files"("object_key");

-- AddForeignKey
ALTER TABLE "files" ADD CONSTRAINT "files_object_key_fkey" FOREIGN KEY ("object_key") REFERENCES "storage_objects"("key") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "server_files" ADD CONSTRAINT "server_files_object_key_fkey" FOREIGN KEY ("object_key") REFERENCES "storage_objects"("key") ON DELETE RESTRICT ON UPDATE CASCADE;
