import { encodeProto } from './protobuf';

/*
 * The Session messages a bot sends (protocol §7.5): a `Content` protobuf holding a `DataMessage`
 * with the text and the sender's profile, padded as clients pad. Field numbers are those of
 * session-desktop's SignalService.proto.
 */

const CONTENT_DATA_MESSAGE = 1;
const CONTENT_SIG_TIMESTAMP = 15;
const DATA_MESSAGE_BODY = 1;
const DATA_MESSAGE_PROFILE = 101;
const PROFILE_DISPLAY_NAME = 1;

/** Clients pad to a multiple of this many bytes (terminator included). */
const PAD_BLOCK = 160;

export interface VisibleMessage {
  body: string;
  displayName: string;
  /** ms since the epoch: Content.sigTimestamp, which clients compare with the server's `posted` */
  sentAtMs: number;
}

/** The unpadded `Content` bytes of a text message. */
export function visibleMessageContent(m: VisibleMessage): Uint8Array {
  return encodeProto([
    {
      field: CONTENT_DATA_MESSAGE,
      message: [
        { field: DATA_MESSAGE_BODY, text: m.body },
        { field: DATA_MESSAGE_PROFILE, message: [{ field: PROFILE_DISPLAY_NAME, text: m.displayName }] },
      ],
    },
    { field: CONTENT_SIG_TIMESTAMP, varint: Math.trunc(m.sentAtMs) },
  ]);
}

/**
 * Client padding (protocol §7.5): the message, one 0x80, then 0x00s up to one byte short of a
 * multiple of 160 bytes counted with one more terminator byte, as session-desktop computes it.
 */
export function padMessage(message: Uint8Array): Uint8Array {
  const padded = new Uint8Array(Math.ceil((message.length + 2) / PAD_BLOCK) * PAD_BLOCK - 1);
  padded.set(message);
  padded[message.length] = 0x80;
  return padded;
}
