import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { AUTH_REQUIREMENT, requireBlindUser, requireUser, type AuthRequirement } from './auth.decorators';
import { AuthService } from './auth.service';

/**
 * Global guard: every inner route is authenticated from its X-SOGS-* headers (or inherits the
 * user of the enclosing /batch), then the route's @UserRequired/@BlindUserRequired is enforced.
 * Room permission guards run after this one and read `req.sogsUser`.
 */
@Injectable()
export class SogsAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly auth: AuthService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const req = context.switchToHttp().getRequest<FastifyRequest>();
    const dispatch = req.sogsDispatch;
    const user =
      dispatch?.inheritedUser !== undefined
        ? dispatch.inheritedUser
        : await this.auth.authenticate({ method: req.method, url: req.url, headers: req.headers, body: req.body }, dispatch);
    req.sogsUser = user;
    const requirement = this.reflector.getAllAndOverride<AuthRequirement | undefined>(AUTH_REQUIREMENT, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (requirement === 'user') requireUser(user);
    else if (requirement === 'blind-user') requireBlindUser(user);
    return true;
  }
}
