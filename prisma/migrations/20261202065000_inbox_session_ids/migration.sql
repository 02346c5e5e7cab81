-- Issue 19 item 7: a user is one row under both of its blinded ids (kA, -kA), but a DM keeps the
-- ids it was sent with: the sender's as signed and the recipient's as addressed, since Session
-- clients derive a DM's key from both blinded ids. NULL (older rows): the users' own session ids.

-- AlterTable
ALTER TABLE "inbox" ADD COLUMN "recipient_session_id" TEXT,
ADD COLUMN "sender_session_id" TEXT;
