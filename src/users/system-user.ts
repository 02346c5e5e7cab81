// The system user (protocol §2.1): `ff` + server pubkey, database id 0, a hidden global admin that CLI
// actions run as. Moderator lists must leave it out.
import { SESSION_ID_PREFIX } from '../protocol/constants';

export const SYSTEM_USER_ID = 0;

export function systemSessionId(serverPubkeyHex: string): string {
  return SESSION_ID_PREFIX.system + serverPubkeyHex.toLowerCase();
}

export function isSystemUser(user: { id: number }): boolean {
  return user.id === SYSTEM_USER_ID;
}
