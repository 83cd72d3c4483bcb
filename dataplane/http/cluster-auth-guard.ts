// The guard in front of every internal route: a request without the cluster
// token, or with one this process does not accept, is refused with 401
// before its body is read, and counted by reason.
import type { Counter } from 'prom-client';
import { UnauthorizedError } from '../protocol/errors.js';
import type { ClusterCredential } from '../security/cluster-credential.js';
import { CLUSTER_TOKEN_HEADER } from '../security/cluster-token.js';
import type { RequestGuard } from './direct-routes.js';

export function clusterAuthGuard(credential: ClusterCredential, failures: Counter<'reason'>): RequestGuard {
  return (req) => {
    const verdict = credential.judge(req.headers[CLUSTER_TOKEN_HEADER]);
    if (verdict === 'accepted') return undefined;
    failures.inc({ reason: verdict });
    return new UnauthorizedError(verdict === 'missing' ? 'internal routes require the cluster token' : 'the cluster token is not accepted');
  };
}
