// The client auth guard in a router's Koa app: it refuses before any route
// runs, with the same JSON errors as every other failure, and lets probes
// and scrapes through.
import { expect } from 'chai';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, listen } from '../../dataplane/http/app.js';
import { clientAuthGuard } from '../../dataplane/http/client-auth-guard.js';
import { RouteTable } from '../../dataplane/http/route-table.js';
import { createLogger } from '../../dataplane/observability/logger.js';
import { DataplaneMetrics } from '../../dataplane/observability/metrics.js';
import { ClientCredential } from '../../dataplane/security/client-credential.js';
import { ConfigError } from '../../dataplane/config/settings.js';
import { call } from '../support/http.js';

const TOKEN = 'client-guard-token-0123456789';

describe('the client auth guard on a router', () => {
  let server: Server;
  let base: string;
  const metrics = new DataplaneMetrics('client');
  const reached: string[] = [];
  const failures = async (reason: string) => (await metrics.clientAuthFailures.get()).values.find((v) => v.labels.reason === reason)?.value ?? 0;

  before(async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'client-guard-')), 'tokens');
    writeFileSync(file, `${TOKEN}\n`);
    const credential = await ClientCredential.open(file);
    const routes = new RouteTable();
    for (const path of ['/healthz', '/readyz', '/metrics', '/api/get/:key']) {
      routes.get(path, (ctx) => {
        reached.push(ctx.path);
        ctx.body = { ok: true };
      });
    }
    server = await listen(createApp(routes, metrics, createLogger('silent', {}), clientAuthGuard(credential, metrics.clientAuthFailures)), '127.0.0.1', 0);
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => reached.splice(0));

  it('answers 401 with a JSON error and WWW-Authenticate: Bearer, before the route runs', async () => {
    for (const [headers, message, reason] of [
      [{}, /requires a bearer token/, 'missing'],
      [{ authorization: 'Bearer wrong-token-0123456789' }, /not accepted/, 'wrong'],
      [{ authorization: `Basic ${TOKEN}` }, /not accepted/, 'wrong'],
    ] as const) {
      const before = await failures(reason);
      const answer = await call(`${base}/api/get/k`, { headers });
      expect(answer.status).to.equal(401);
      expect(answer.headers.get('www-authenticate')).to.equal('Bearer');
      expect(answer.headers.get('content-type')).to.match(/^application\/json/);
      expect((answer.json() as { error: string }).error).to.match(message);
      expect(await failures(reason)).to.equal(before + 1);
    }
    expect(reached).to.deep.equal([]);
  });

  it('lets a request with an accepted token through', async () => {
    const answer = await call(`${base}/api/get/k`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(answer.status).to.equal(200);
    expect(reached).to.deep.equal(['/api/get/k']);
  });

  it('leaves /healthz, /readyz and /metrics open', async () => {
    for (const path of ['/healthz', '/readyz', '/metrics']) expect((await call(`${base}${path}`)).status, path).to.equal(200);
  });

  it('refuses to start from a file it cannot use, without quoting it', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'client-guard-')), 'tokens');
    writeFileSync(file, 'too-short\n');
    const failure = await ClientCredential.open(file).then(() => undefined, (error: unknown) => error);
    expect(failure).to.be.instanceOf(ConfigError);
    expect((failure as Error).message).to.match(/CLIENT_TOKENS_FILE.*line 1/).and.not.include('too-short');
    expect(await ClientCredential.open(join(tmpdir(), 'no-such-dir-x', 'tokens')).catch((error: Error) => error.message)).to.match(/ENOENT/);
  });
});
