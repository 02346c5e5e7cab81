import { toBuffer } from './bytes';
import { blake2b } from './hash';

const FILE_SERVER_SALT = new Uint8Array(Buffer.from('SessionFileSvr\0\0', 'latin1'));

/** File-server content id (protocol §12.1): base64url, unpadded, of BLAKE2b-264 salted "SessionFileSvr\0\0". */
export function fileServerContentId(body: Uint8Array): string {
  return toBuffer(blake2b(body, { dkLen: 33, salt: FILE_SERVER_SALT })).toString('base64url');
}
