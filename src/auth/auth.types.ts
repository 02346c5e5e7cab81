export interface SignedRequestInfo {
  /** Hex of the 16-byte X-SOGS-Nonce: the key of the kept reply. */
  nonceHex: string;
  /** The same pubkey, nonce and signature were seen before: answer with the kept reply if any. */
  retry: boolean;
}
