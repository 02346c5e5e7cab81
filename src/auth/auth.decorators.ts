import { createParamDecorator, SetMetadata, UnauthorizedException, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { AuthenticatedUser } from '../users/authenticated-user';
import { isBlindedId } from '../users/session-id';

/** Route metadata read by the global auth guard after it has authenticated the request. */
export const AUTH_REQUIREMENT = 'sogs:auth-requirement';
export type AuthRequirement = 'user' | 'blind-user';

/** spec §3.4 `user_required`: 401 for anonymous requests. */
export const UserRequired = (): MethodDecorator & ClassDecorator => SetMetadata(AUTH_REQUIREMENT, 'user');

/** spec §3.4 `blind_user_required`: 401 for anonymous requests and for unblinded (05) users. */
export const BlindUserRequired = (): MethodDecorator & ClassDecorator => SetMetadata(AUTH_REQUIREMENT, 'blind-user');

/** The request's verified user (AuthenticatedUser), or null when anonymous. */
export const CurrentUser = createParamDecorator(
  (_data: unknown, ctx: ExecutionContext): AuthenticatedUser | null => ctx.switchToHttp().getRequest<FastifyRequest>().sogsUser ?? null,
);

export const AUTH_REQUIRED_MESSAGE = 'X-SOGS-* request authentication required';
export const BLIND_REQUIRED_MESSAGE = 'This endpoint requires blinded pubkeys be used';

/** For services and guards that need a user outside the decorators: the 401 of spec §3.4. */
export function requireUser(user: AuthenticatedUser | null | undefined): AuthenticatedUser {
  if (!user) throw new UnauthorizedException(AUTH_REQUIRED_MESSAGE);
  return user;
}

export function requireBlindUser(user: AuthenticatedUser | null | undefined): AuthenticatedUser {
  const u = requireUser(user);
  if (!isBlindedId(u.sessionId)) throw new UnauthorizedException(BLIND_REQUIRED_MESSAGE);
  return u;
}
