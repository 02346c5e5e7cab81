-- CreateExtension
CREATE EXTENSION IF NOT EXISTS "citext";

-- CreateTable
CREATE TABLE "users" (
    "id" SERIAL NOT NULL,
    "session_id" TEXT NOT NULL,
    "created" DOUBLE PRECISION NOT NULL DEFAULT date_part('epoch'::text, now()),
    "last_active" DOUBLE PRECISION NOT NULL DEFAULT date_part('epoch'::text, now()),
    "banned" BOOLEAN NOT NULL DEFAULT false,
    "moderator" BOOLEAN NOT NULL DEFAULT false,
    "admin" BOOLEAN NOT NULL DEFAULT false,
    "visible_mod" BOOLEAN NOT NULL DEFAULT false,

    CONSTRAINT "users_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "rooms" (
    "id" SERIAL NOT NULL,
    "token" CITEXT NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT,
    "image" INTEGER,
    "created" DOUBLE PRECISION NOT NULL DEFAULT date_part('epoch'::text, now()),
    "message_sequence" INTEGER NOT NULL DEFAULT 0,
    "info_updates" INTEGER NOT NULL DEFAULT 0,
    "active_users" INTEGER NOT NULL DEFAULT 0,
    "read" BOOLEAN NOT NULL DEFAULT true,
    "accessible" BOOLEAN NOT NULL DEFAULT true,
    "write" BOOLEAN NOT NULL DEFAULT true,
    "upload" BOOLEAN NOT NULL DEFAULT true,

    CONSTRAINT "rooms_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "messages" (
    "id" SERIAL NOT NULL,
    "room" INTEGER NOT NULL,
    "user" INTEGER NOT NULL,
    "posted" DOUBLE PRECISION NOT NULL DEFAULT date_part('epoch'::text, now()),
    "edited" DOUBLE PRECISION,
    "seqno" INTEGER NOT NULL,
    "seqno_data" INTEGER NOT NULL,
    "seqno_reactions" INTEGER NOT NULL DEFAULT 0,
    "seqno_creation" INTEGER NOT NULL,
    "data" BYTEA,
    "data_size" INTEGER,
    "signature" BYTEA,
    "filtered" BOOLEAN NOT NULL DEFAULT false,
    "whisper" INTEGER,
    "whisper_mods" BOOLEAN NOT NULL DEFAULT false,

    CONSTRAINT "messages_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "message_history" (
    "id" SERIAL NOT NULL,
    "message" INTEGER NOT NULL,
    "replaced" DOUBLE PRECISION NOT NULL DEFAULT date_part('epoch'::text, now()),
    "data" BYTEA,
    "data_size" INTEGER,
    "signature" BYTEA,

    CONSTRAINT "message_history_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "pinned_messages" (
    "room" INTEGER NOT NULL,
    "message" INTEGER NOT NULL,
    "pinned_by" INTEGER NOT NULL,
    "pinned_at" DOUBLE PRECISION NOT NULL DEFAULT date_part('epoch'::text, now()),

    CONSTRAINT "pinned_messages_pkey" PRIMARY KEY ("room","message")
);

-- CreateTable
CREATE TABLE "files" (
    "id" SERIAL NOT NULL,
    "room" INTEGER,
    "uploader" INTEGER,
    "message" INTEGER,
    "size" INTEGER NOT NULL,
    "uploaded" DOUBLE PRECISION NOT NULL DEFAULT date_part('epoch'::text, now()),
    "expiry" DOUBLE PRECISION,
    "filename" TEXT,
    "object_key" TEXT NOT NULL,
    "key_id" TEXT NOT NULL,
    "wrapped_key" BYTEA NOT NULL,
    "content_hash" BYTEA,

    CONSTRAINT "files_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "server_files" (
    "id" TEXT NOT NULL,
    "size" INTEGER NOT NULL,
    "uploaded" DOUBLE PRECISION NOT NULL DEFAULT date_part('epoch'::text, now()),
    "expiry" DOUBLE PRECISION NOT NULL,
    "object_key" TEXT NOT NULL,
    "key_id" TEXT NOT NULL,
    "wrapped_key" BYTEA NOT NULL,

    CONSTRAINT "server_files_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "user_permission_overrides" (
    "room" INTEGER NOT NULL,
    "user" INTEGER NOT NULL,
    "banned" BOOLEAN NOT NULL DEFAULT false,
    "read" BOOLEAN,
    "accessible" BOOLEAN,
    "write" BOOLEAN,
    "upload" BOOLEAN,
    "moderator" BOOLEAN NOT NULL DEFAULT false,
    "admin" BOOLEAN NOT NULL DEFAULT false,
    "visible_mod" BOOLEAN NOT NULL DEFAULT true,

    CONSTRAINT "user_permission_overrides_pkey" PRIMARY KEY ("room","user")
);

-- CreateTable
CREATE TABLE "user_permission_futures" (
    "id" SERIAL NOT NULL,
    "room" INTEGER NOT NULL,
    "user" INTEGER NOT NULL,
    "at" DOUBLE PRECISION NOT NULL,
    "read" BOOLEAN,
    "write" BOOLEAN,
    "upload" BOOLEAN,

    CONSTRAINT "user_permission_futures_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "user_ban_futures" (
    "id" SERIAL NOT NULL,
    "room" INTEGER,
    "user" INTEGER NOT NULL,
    "at" DOUBLE PRECISION NOT NULL,
    "banned" BOOLEAN NOT NULL,

    CONSTRAINT "user_ban_futures_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "room_users" (
    "room" INTEGER NOT NULL,
    "user" INTEGER NOT NULL,
    "last_active" DOUBLE PRECISION NOT NULL DEFAULT date_part('epoch'::text, now()),

    CONSTRAINT "room_users_pkey" PRIMARY KEY ("room","user")
);

-- CreateTable
CREATE TABLE "needs_blinding" (
    "blinded_abs" TEXT NOT NULL,
    "user" INTEGER NOT NULL,

    CONSTRAINT "needs_blinding_pkey" PRIMARY KEY ("blinded_abs")
);

-- CreateTable
CREATE TABLE "inbox" (
    "id" SERIAL NOT NULL,
    "recipient" INTEGER NOT NULL,
    "sender" INTEGER NOT NULL,
    "body" BYTEA NOT NULL,
    "posted_at" DOUBLE PRECISION NOT NULL DEFAULT date_part('epoch'::text, now()),
    "expiry" DOUBLE PRECISION NOT NULL,

    CONSTRAINT "inbox_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "reactions" (
    "id" SERIAL NOT NULL,
    "message" INTEGER NOT NULL,
    "reaction" TEXT NOT NULL,

    CONSTRAINT "reactions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "user_reactions" (
    "reaction" INTEGER NOT NULL,
    "user" INTEGER NOT NULL,
    "at" DOUBLE PRECISION NOT NULL DEFAULT date_part('epoch'::text, now()),

    CONSTRAINT "user_reactions_pkey" PRIMARY KEY ("reaction","user")
);

-- CreateIndex
CREATE UNIQUE INDEX "users_session_id_key" ON "users"("session_id");

-- CreateIndex
CREATE UNIQUE INDEX "rooms_token_key" ON "rooms"("token");

-- CreateIndex
CREATE UNIQUE INDEX "rooms_image_key" ON "rooms"("image");

-- CreateIndex
CREATE INDEX "messages_room_posted_idx" ON "messages"("room", "posted");

-- CreateIndex
CREATE INDEX "messages_room_seqno_idx" ON "messages"("room", "seqno");

-- CreateIndex
CREATE INDEX "messages_room_id_idx" ON "messages"("room", "id");

-- CreateIndex
CREATE INDEX "messages_room_user_posted_idx" ON "messages"("room", "user", "posted");

-- CreateIndex
CREATE INDEX "message_history_message_idx" ON "message_history"("message");

-- CreateIndex
CREATE INDEX "message_history_replaced_idx" ON "message_history"("replaced");

-- CreateIndex
CREATE INDEX "files_room_idx" ON "files"("room");

-- CreateIndex
CREATE INDEX "files_expiry_idx" ON "files"("expiry");

-- CreateIndex
CREATE INDEX "files_message_idx" ON "files"("message");

-- CreateIndex
CREATE INDEX "files_uploader_idx" ON "files"("uploader");

-- CreateIndex
CREATE INDEX "files_room_content_hash_idx" ON "files"("room", "content_hash");

-- CreateIndex
CREATE INDEX "server_files_expiry_idx" ON "server_files"("expiry");

-- CreateIndex
CREATE INDEX "user_permission_overrides_user_idx" ON "user_permission_overrides"("user");

-- CreateIndex
CREATE INDEX "user_permission_futures_at_idx" ON "user_permission_futures"("at");

-- CreateIndex
CREATE INDEX "user_permission_futures_room_user_idx" ON "user_permission_futures"("room", "user");

-- CreateIndex
CREATE INDEX "user_ban_futures_at_idx" ON "user_ban_futures"("at");

-- CreateIndex
CREATE INDEX "user_ban_futures_room_user_idx" ON "user_ban_futures"("room", "user");

-- CreateIndex
CREATE INDEX "room_users_room_last_active_idx" ON "room_users"("room", "last_active");

-- CreateIndex
CREATE UNIQUE INDEX "needs_blinding_user_key" ON "needs_blinding"("user");

-- CreateIndex
CREATE INDEX "inbox_recipient_id_idx" ON "inbox"("recipient", "id");

-- CreateIndex
CREATE INDEX "inbox_sender_id_idx" ON "inbox"("sender", "id");

-- CreateIndex
CREATE INDEX "inbox_expiry_idx" ON "inbox"("expiry");

-- CreateIndex
CREATE UNIQUE INDEX "reactions_message_reaction_key" ON "reactions"("message", "reaction");

-- CreateIndex
CREATE INDEX "user_reactions_user_idx" ON "user_reactions"("user");

-- CreateIndex
CREATE INDEX "user_reactions_reaction_at_idx" ON "user_reactions"("reaction", "at");

-- AddForeignKey
ALTER TABLE "rooms" ADD CONSTRAINT "rooms_image_fkey" FOREIGN KEY ("image") REFERENCES "files"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "messages" ADD CONSTRAINT "messages_room_fkey" FOREIGN KEY ("room") REFERENCES "rooms"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "messages" ADD CONSTRAINT "messages_user_fkey" FOREIGN KEY ("user") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "messages" ADD CONSTRAINT "messages_whisper_fkey" FOREIGN KEY ("whisper") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "message_history" ADD CONSTRAINT "message_history_message_fkey" FOREIGN KEY ("message") REFERENCES "messages"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "pinned_messages" ADD CONSTRAINT "pinned_messages_room_fkey" FOREIGN KEY ("room") REFERENCES "rooms"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "pinned_messages" ADD CONSTRAINT "pinned_messages_message_fkey" FOREIGN KEY ("message") REFERENCES "messages"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "pinned_messages" ADD CONSTRAINT "pinned_messages_pinned_by_fkey" FOREIGN KEY ("pinned_by") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "files" ADD CONSTRAINT "files_room_fkey" FOREIGN KEY ("room") REFERENCES "rooms"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "files" ADD CONSTRAINT "files_uploader_fkey" FOREIGN KEY ("uploader") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "files" ADD CONSTRAINT "files_message_fkey" FOREIGN KEY ("message") REFERENCES "messages"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "user_permission_overrides" ADD CONSTRAINT "user_permission_overrides_room_fkey" FOREIGN KEY ("room") REFERENCES "rooms"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "user_permission_overrides" ADD CONSTRAINT "user_permission_overrides_user_fkey" FOREIGN KEY ("user") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "user_permission_futures" ADD CONSTRAINT "user_permission_futures_room_fkey" FOREIGN KEY ("room") REFERENCES "rooms"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "user_permission_futures" ADD CONSTRAINT "user_permission_futures_user_fkey" FOREIGN KEY ("user") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "user_ban_futures" ADD CONSTRAINT "user_ban_futures_room_fkey" FOREIGN KEY ("room") REFERENCES "rooms"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "user_ban_futures" ADD CONSTRAINT "user_ban_futures_user_fkey" FOREIGN KEY ("user") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "room_users" ADD CONSTRAINT "room_users_room_fkey" FOREIGN KEY ("room") REFERENCES "rooms"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "room_users" ADD CONSTRAINT "room_users_user_fkey" FOREIGN KEY ("user") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "needs_blinding" ADD CONSTRAINT "needs_blinding_user_fkey" FOREIGN KEY ("user") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "inbox" ADD CONSTRAINT "inbox_recipient_fkey" FOREIGN KEY ("recipient") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "inbox" ADD CONSTRAINT "inbox_sender_fkey" FOREIGN KEY ("sender") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "reactions" ADD CONSTRAINT "reactions_message_fkey" FOREIGN KEY ("message") REFERENCES "messages"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "user_reactions" ADD CONSTRAINT "user_reactions_reaction_fkey" FOREIGN KEY ("reaction") REFERENCES "reactions"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "user_reactions" ADD CONSTRAINT "user_reactions_user_fkey" FOREIGN KEY ("user") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;
