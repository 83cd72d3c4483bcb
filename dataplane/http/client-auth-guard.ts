// The guard in front of a router's public API when client auth is on: a
// request without a valid `Authorization: Bearer` token is answered 401
// before any route runs, and counted by reason. Probes and scrapes (the open
// paths) pass untouched. One check for both tiers that serve the API: the
// direct routes call it (direct-routes.ts, `serve`), and Koa through
// guardMiddleware (app.ts).
import type { Counter } from 'prom-client';
import { ClientUnauthorizedError } from '../protocol/errors.js';
import type { ClientCredential } from '../security/client-credential.js';
import { OPEN_PATHS } from '../security/client-tokens.js';
import type { RequestGuard } from './direct-routes.js';

export function clientAuthGuard(credential: ClientCredential, failures: Counter<'reason'>): RequestGuard {
  return (req, path) => {
    if (OPEN_PATHS.has(path)) return undefined;
    const verdict = credential.judge(req.headers.authorization || undefined);
    if (verdict === 'accepted') return undefined;
    failures.inc({ reason: verdict });
    return new ClientUnauthorizedError(verdict === 'missing' ? 'this API requires a bearer token' : 'the bearer token is not accepted');
  };
}
