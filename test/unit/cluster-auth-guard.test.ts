// The guard in front of internal routes, in a bare node:http server: it
// refuses before any route (direct or Koa) sees the request.
import { expect } from 'chai';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Registry } from 'prom-client';
import { clusterAuthGuard } from '../../dataplane/http/cluster-auth-guard.js';
import { DirectRoutes } from '../../dataplane/http/direct-routes.js';
import { createLogger } from '../../dataplane/observability/logger.js';
import { RequestMetrics } from '../../dataplane/observability/request-metrics.js';
import { ClusterCredential } from '../../dataplane/security/cluster-credential.js';
import { CLUSTER_TOKEN_HEADER, INTERNAL_PATH_PREFIX } from '../../dataplane/security/cluster-token.js';
import { call } from '../support/http.js';

const TOKEN = 'guard-test-token-0123456789';

describe('the cluster token guard on internal routes', () => {
  let server: Server;
  let base: string;
  const registry = new Registry();
  const failures = new Counter({ name: 'failures', help: 'refused', labelNames: ['reason'] as const, registers: [registry] });
  const reached: string[] = [];

  before(async () => {
    const credential = await ClusterCredential.open({ source: 'env', tokens: { current: TOKEN } });
    const routes = new DirectRoutes(new RequestMetrics(registry), createLogger('silent', {}))
      .guard(INTERNAL_PATH_PREFIX, clusterAuthGuard(credential, failures))
      .post('/internal/v1/direct', async () => {
        reached.push('direct');
        return { ok: true };
      });
    server = createServer(routes.listener((req, res) => {
      reached.push(`fallback ${req.url}`);
      res.writeHead(200).end('fallback');
    }));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => reached.splice(0));

  const post = (path: string, headers: Record<string, string> = {}) => call(`${base}${path}`, { method: 'POST', headers, body: '{}' });

  it('refuses a request without the token with 401 and a JSON error, before any route', async () => {
    for (const path of ['/internal/v1/direct', '/internal/v1/handoff/pull', '/INTERNAL/v1/handoff/pull', '/internal/anything']) {
      const answer = await post(path);
      expect([answer.status, answer.json()], path).to.deep.equal([401, { error: 'internal routes require the cluster token' }]);
      expect(answer.headers.get('www-authenticate')).to.equal('Cluster-Token');
    }
    expect(reached).to.deep.equal([]);
  });

  it('refuses a wrong token, and counts every refusal by reason', async () => {
    const answer = await post('/internal/v1/direct', { [CLUSTER_TOKEN_HEADER]: `${TOKEN}x` });
    expect([answer.status, answer.json()]).to.deep.equal([401, { error: 'the cluster token is not accepted' }]);
    expect(reached).to.deep.equal([]);
    const text = await registry.metrics();
    expect(text).to.match(/failures\{reason="missing"\} 4/);
    expect(text).to.match(/failures\{reason="wrong"\} 1/);
  });

  it('lets a request with the token through to its route, direct or not', async () => {
    expect((await post('/internal/v1/direct', { [CLUSTER_TOKEN_HEADER]: TOKEN })).json()).to.deep.equal({ ok: true });
    expect((await post('/internal/v1/handoff/pull', { [CLUSTER_TOKEN_HEADER]: TOKEN })).text).to.equal('fallback');
    expect(reached).to.deep.equal(['direct', 'fallback /internal/v1/handoff/pull']);
  });

  it('leaves public routes alone', async () => {
    expect((await call(`${base}/api/get/k`)).status).to.equal(200);
  });
});

describe('sending with the cluster token', () => {
  it('sends the current token, and the previous one only when the peer refused the current one', async () => {
    const credential = await ClusterCredential.open({ source: 'env', tokens: { current: 'current-0123456789abcdef', previous: 'previous-0123456789abcdef' } });
    const sent: string[] = [];
    const peer = (accepted: string) => async (headers: Readonly<Record<string, string>>) => {
      sent.push(headers[CLUSTER_TOKEN_HEADER] as string);
      return headers[CLUSTER_TOKEN_HEADER] === accepted ? 200 : 401;
    };
    expect(await credential.send(peer('current-0123456789abcdef'), (status) => status)).to.equal(200);
    expect(await credential.send(peer('previous-0123456789abcdef'), (status) => status)).to.equal(200);
    expect(sent).to.deep.equal(['current-0123456789abcdef', 'current-0123456789abcdef', 'previous-0123456789abcdef']);
  });

  it('sends nothing, and accepts anything, when insecure', async () => {
    const credential = await ClusterCredential.open({ source: 'none' });
    expect(credential.insecure).to.equal(true);
    expect(credential.judge(undefined)).to.equal('accepted');
    expect(await credential.send(async (headers) => Object.keys(headers).length, () => 200)).to.equal(0);
  });
});
