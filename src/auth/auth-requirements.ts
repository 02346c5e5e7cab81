import { UnauthorizedException } from '@nestjs/common';
import type { AuthenticatedUser } from '../users/authenticated-user';
import { isBlindedId } from '../users/session-id';

/** protocol §3.4: what a route that needs a signed-in (or blinded) requester answers to anyone else. */
export const AUTH_REQUIRED_MESSAGE = 'X-SOGS-* request authentication required';
export const BLIND_REQUIRED_MESSAGE = 'This endpoint requires blinded pubkeys be used';

/** `user_required`: 401 for anonymous requests. */
export function requireUser(user: AuthenticatedUser | null | undefined): AuthenticatedUser {
  if (!user) throw new UnauthorizedException(AUTH_REQUIRED_MESSAGE);
  return user;
}

/** `blind_user_required`: 401 for anonymous requests and for unblinded (05) users. */
export function requireBlindUser(user: AuthenticatedUser | null | undefined): AuthenticatedUser {
  const u = requireUser(user);
  if (!isBlindedId(u.sessionId)) throw new UnauthorizedException(BLIND_REQUIRED_MESSAGE);
  return u;
}
