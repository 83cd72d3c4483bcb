// The guard in front of a router's public API when client auth is on: a
// request without a valid `Authorization: Bearer` token is answered 401
// before any route runs, and counted by reason. Probes and scrapes (the open
// paths) pass untouched.
import type { Middleware } from 'koa';
import type { Counter } from 'prom-client';
import { ClientUnauthorizedError } from '../protocol/errors.js';
import type { ClientCredential } from '../security/client-credential.js';
import { OPEN_PATHS } from '../security/client-tokens.js';

export function clientAuthGuard(credential: ClientCredential, failures: Counter<'reason'>): Middleware {
  return async (ctx, next) => {
    if (OPEN_PATHS.has(ctx.path)) return next();
    const verdict = credential.judge(ctx.get('authorization') || undefined);
    if (verdict !== 'accepted') {
      failures.inc({ reason: verdict });
      throw new ClientUnauthorizedError(verdict === 'missing' ? 'this API requires a bearer token' : 'the bearer token is not accepted');
    }
    return next();
  };
}
