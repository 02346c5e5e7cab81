import { NotFoundException } from '@nestjs/common';
import { normaliseSessionId } from '../users/session-id';

/**
 * A session id path parameter: a value not matching the route's id pattern means the route does
 * not match, so 404 (protocol §2.2); matching ids are lowercased (protocol §13).
 */
export function sessionIdParam(pattern: RegExp): (raw: string) => string {
  return (raw) => {
    if (!pattern.test(raw)) throw new NotFoundException('Not found');
    return normaliseSessionId(raw);
  };
}
