-- Issue 17: the admin console. Sign-in links and sessions are kept here, not in memory, because
-- `community-server console login` (which makes a link) and the server (which redeems it) are
-- different processes. Only SHA-256 hashes of the random tokens are stored: a copy of the table
-- signs nobody in.

CREATE TABLE "console_logins" (
    "token_hash" BYTEA NOT NULL,
    "created" DOUBLE PRECISION NOT NULL,
    "expires" DOUBLE PRECISION NOT NULL,

    CONSTRAINT "console_logins_pkey" PRIMARY KEY ("token_hash")
);
CREATE INDEX "console_logins_expires_idx" ON "console_logins"("expires");

CREATE TABLE "console_sessions" (
    "token_hash" BYTEA NOT NULL,
    "csrf" TEXT NOT NULL,
    "created" DOUBLE PRECISION NOT NULL,
    "expires" DOUBLE PRECISION NOT NULL,

    CONSTRAINT "console_sessions_pkey" PRIMARY KEY ("token_hash")
);
CREATE INDEX "console_sessions_expires_idx" ON "console_sessions"("expires");

-- Posts per room per hour (the console's chart), rolled up from messages by a periodic job and
-- kept POST_COUNTS_RETENTION: the chart reads a few hundred rows instead of scanning messages.
CREATE TABLE "room_hourly_posts" (
    "room" INTEGER NOT NULL,
    "hour" INTEGER NOT NULL,
    "posts" INTEGER NOT NULL,

    CONSTRAINT "room_hourly_posts_pkey" PRIMARY KEY ("room", "hour")
);
CREATE INDEX "room_hourly_posts_hour_idx" ON "room_hourly_posts"("hour");
ALTER TABLE "room_hourly_posts" ADD CONSTRAINT "room_hourly_posts_room_fkey" FOREIGN KEY ("room") REFERENCES "rooms"("id") ON DELETE CASCADE ON UPDATE CASCADE;
