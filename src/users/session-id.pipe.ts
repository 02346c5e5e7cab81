import { NotFoundException, type PipeTransform } from '@nestjs/common';
import { normaliseSessionId } from './session-id';

/**
 * A session id path parameter: a value not matching the route's id pattern means the route does
 * not match, so 404 (spec §2.2); matching ids are lowercased (spec §13).
 */
export class SessionIdPipe implements PipeTransform<string, string> {
  constructor(private readonly pattern: RegExp) {}

  transform(value: string): string {
    if (!this.pattern.test(value)) throw new NotFoundException('Not found');
    return normaliseSessionId(value);
  }
}
