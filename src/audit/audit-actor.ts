import { AsyncLocalStorage } from 'node:async_hooks';
import { isSystemUser } from '../users/system-user';
import type { AuditActor } from './audit.types';

/** The name of the non-user caller whose work is running ("console", "plugin:NAME", …); CLI when none. */
const callerName = new AsyncLocalStorage<AuditActor>();

/**
 * Runs `fn` with non-user actions recorded as `name`. Services take the acting user (API callers)
 * or none (the CLI, acting as the system user); a console or plugin that calls the same services
 * wraps its call here so its entries name it instead of "cli".
 */
export function actingAs<T>(name: AuditActor, fn: () => T): T {
  return callerName.run(name, fn);
}

/** The audit actor of a service call: the caller's session id, else the running non-user caller's name. */
export function actorOf(by?: { id: number; sessionId: string } | null): AuditActor {
  if (by && !isSystemUser(by)) return by.sessionId;
  return callerName.getStore() ?? 'cli';
}
