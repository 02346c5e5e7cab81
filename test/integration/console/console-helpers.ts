import type { TestContext } from '../../support/context';
import { cliOk, envFor } from '../cli/cli-helpers';

/** The environment of the operator's shell for this server: its admin port as it listens. */
export function consoleEnv(ctx: TestContext): NodeJS.ProcessEnv {
  return envFor(ctx.config, { ADMIN_PORT: new URL(ctx.adminUrl).port });
}

/** A sign-in link printed by `community-server console login` (run in-process, as the binary runs it). */
export async function loginLink(ctx: TestContext, ...args: string[]): Promise<string> {
  return (await cliOk(consoleEnv(ctx), 'console', 'login', ...args)).trim();
}

/** Redeems a link like a browser and returns the session cookie (name=value) it set. */
export async function signIn(ctx: TestContext): Promise<{ cookie: string; setCookie: string }> {
  const res = await fetch(await loginLink(ctx), { redirect: 'manual' });
  if (res.status !== 303) throw new Error(`sign-in answered ${res.status}`);
  const setCookie = res.headers.get('set-cookie')!;
  return { cookie: setCookie.split(';')[0], setCookie };
}

/** The CSRF token the console's forms carry for this session. */
export async function csrfOf(ctx: TestContext, cookie: string): Promise<string> {
  const page = await (await fetch(`${ctx.adminUrl}/console/rooms`, { headers: { cookie } })).text();
  return /name="_csrf" value="([^"]+)"/.exec(page)![1];
}

/** A form post as a console page makes it (Origin of the admin listener), or as told otherwise. */
export function post(ctx: TestContext, path: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${ctx.adminUrl}${path}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: ctx.adminUrl, ...headers },
    body: new URLSearchParams(fields).toString(),
  });
}
