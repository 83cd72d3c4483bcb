// The public single-key routes are answered outside Koa by the direct routes
// (dataplane/http/direct-routes.ts) and inside it by the route table and
// @koa/router. A caller must not be able to tell which: the same requests,
// sent to an app with the direct tier and to the same app without it, get
// the same bytes back, head and body (the Date header's value aside), and
// leave the same request counts.
import { expect } from 'chai';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CacheBackend } from '../../dataplane/api/backend.js';
import { createApp, listen } from '../../dataplane/http/app.js';
import { clientAuthGuard } from '../../dataplane/http/client-auth-guard.js';
import { DirectRoutes, type RequestGuard } from '../../dataplane/http/direct-routes.js';
import { healthRoutes } from '../../dataplane/http/health-routes.js';
import { publicRoutes } from '../../dataplane/http/public-routes.js';
import { createLogger } from '../../dataplane/observability/logger.js';
import { DataplaneMetrics } from '../../dataplane/observability/metrics.js';
import { MAX_VALUE_BYTES } from '../../dataplane/protocol/limits.js';
import { RingView } from '../../dataplane/ring/ring-view.js';
import { RouterBackend } from '../../dataplane/router/router-backend.js';
import { ClientCredential } from '../../dataplane/security/client-credential.js';
import { LocalBackend } from '../../dataplane/server/local-backend.js';
import { VersionedStore } from '../../dataplane/store/versioned-store.js';
import { HybridLogicalClock } from '../../dataplane/version/hlc.js';
import { rawExchange } from '../support/raw-http.js';

const TOKEN = 'parity-client-token-0123456789';
/** A store that holds at most 64 KiB, so that a value under the API's limit can still be too large for it. */
const STORE_BYTES = 64 * 1024;

interface Twin {
  metrics: DataplaneMetrics;
  server: Server;
  port: number;
}

/** One role's app over its own backend, served with the direct tier in front of Koa or by Koa alone. */
async function startTwin(backend: () => CacheBackend, direct: boolean, guard?: (metrics: DataplaneMetrics) => RequestGuard): Promise<Twin> {
  const metrics = new DataplaneMetrics('client');
  const logger = createLogger('silent', {});
  const routes = publicRoutes(backend(), healthRoutes({ notReadyReason: () => undefined }, metrics));
  const check = guard?.(metrics);
  const server = await listen(createApp(routes, metrics, logger, check), '127.0.0.1', 0,
    direct ? new DirectRoutes(metrics.requests, logger).serve(routes, check) : undefined);
  return { metrics, server, port: (server.address() as AddressInfo).port };
}

const localBackend = (): CacheBackend =>
  new LocalBackend(new VersionedStore({ maxBytes: STORE_BYTES }), new HybridLogicalClock('s'), new DataplaneMetrics('server'), () => new RingView(1).describe(), () => true);
/** A router that knows no server: every key is 503 with Retry-After. */
const emptyRouter = (): CacheBackend =>
  new RouterBackend(new RingView(1), { get: () => ({ send: async () => { throw new Error('no server'); } }) }, new HybridLogicalClock('r'), new DataplaneMetrics('client'), createLogger('silent', {}));

/** The answer with its Date header's value blanked: the one part that may differ between the two. */
const undated = (answer: string): string => answer.replace(/^Date: .*$/m, 'Date: -');

/** A request's bytes; `body` gets a Content-Length unless the headers say how it is framed. */
function request(method: string, target: string, headers: Record<string, string> = {}, body?: string | Buffer): Buffer {
  const all: Record<string, string> = { Host: 'localhost', ...headers };
  if (body !== undefined && all['Transfer-Encoding'] === undefined) all['Content-Length'] = String(Buffer.byteLength(body));
  const head = `${method} ${target} HTTP/1.1\r\n${Object.entries(all).map(([name, value]) => `${name}: ${value}\r\n`).join('')}\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), body === undefined ? Buffer.alloc(0) : Buffer.from(body)]);
}

/** Request counts by route, method and status: the direct tier records where Koa would. */
async function requestCounts(metrics: DataplaneMetrics): Promise<string[]> {
  return (await metrics.registry.metrics()).split('\n').filter((line) => line.startsWith('dcache_http_requests_total{')).sort();
}

/**
 * Sends each request to both twins in turn and expects the same bytes back;
 * returns the answers' status lines, so that a test can say what it covered.
 */
async function expectSameAnswers(twins: [Twin, Twin], requests: Array<{ name: string; bytes: Buffer; head?: boolean }>): Promise<string[]> {
  const statuses: string[] = [];
  for (const { name, bytes, head } of requests) {
    const [direct, koa] = await Promise.all(twins.map(async (twin) => undated(await rawExchange(twin.port, bytes, { head: head ?? false }))));
    expect(direct, name).to.equal(koa);
    statuses.push(`${name}: ${(koa ?? '').split('\r\n', 1)[0]}`);
  }
  expect(await requestCounts(twins[0].metrics)).to.deep.equal(await requestCounts(twins[1].metrics));
  return statuses;
}

describe('the direct tier answers the public single-key routes as Koa does', () => {
  const twins: Twin[] = [];
  after(() => Promise.all(twins.map((twin) => new Promise<void>((resolve) => twin.server.close(() => resolve())))));
  const pair = async (backend: () => CacheBackend, guard?: (metrics: DataplaneMetrics) => RequestGuard): Promise<[Twin, Twin]> => {
    const started: [Twin, Twin] = [await startTwin(backend, true, guard), await startTwin(backend, false, guard)];
    twins.push(...started);
    return started;
  };

  it('on a server: values, writes, deletes, bad input, oversized bodies and what stays with Koa', async () => {
    const big = 'x'.repeat(MAX_VALUE_BYTES + 1);
    const tooBigForStore = 'y'.repeat(STORE_BYTES * 2);
    const statuses = await expectSameAnswers(await pair(localBackend), [
      { name: 'a miss', bytes: request('GET', '/api/get/k') },
      { name: 'a legacy write', bytes: request('POST', '/api/post?key=k&value=v%20w&ttl=60') },
      { name: 'a legacy read', bytes: request('GET', '/api/get/k') },
      { name: 'a REST read with a query', bytes: request('GET', '/api/keys/k?ignored=1') },
      { name: 'a PUT of a percent-encoded key', bytes: request('PUT', '/api/keys/a%2Fb%20c?ttl=5', {}, 'héllo') },
      { name: 'its read', bytes: request('GET', '/api/get/a%2Fb%20c') },
      { name: 'a chunked PUT', bytes: request('PUT', '/api/keys/chunked', { 'Transfer-Encoding': 'chunked' }, '5\r\nhello\r\n0\r\n\r\n') },
      { name: 'a delete', bytes: request('DELETE', '/api/keys/a%2Fb%20c') },
      { name: 'a delete of a missing key', bytes: request('DELETE', '/api/keys/a%2Fb%20c') },
      { name: 'a JSON write', bytes: request('POST', '/api/post', { 'Content-Type': 'application/json' }, '{"key":"j","value":"v","ttl":null}') },
      { name: 'bad percent-encoding', bytes: request('GET', '/api/get/%ZZ') },
      { name: 'a key too long', bytes: request('GET', `/api/keys/${'k'.repeat(251)}`) },
      { name: 'a repeated key', bytes: request('POST', '/api/post?key=a&key=b&value=v') },
      { name: 'a value without a key', bytes: request('POST', '/api/post?value=v') },
      { name: 'no key and no body', bytes: request('POST', '/api/post') },
      { name: 'a body that is not JSON', bytes: request('POST', '/api/post', { 'Content-Type': 'text/plain' }, 'k=v') },
      { name: 'bad JSON', bytes: request('POST', '/api/post', { 'Content-Type': 'application/json' }, '{"key":') },
      { name: 'a body beside a query key', bytes: request('POST', '/api/post?key=q&value=v', {}, 'x') },
      { name: 'a bad TTL', bytes: request('PUT', '/api/keys/k?ttl=0', {}, 'v') },
      { name: 'a value over the limit', bytes: request('PUT', '/api/keys/k', {}, big) },
      { name: 'a value the store cannot hold', bytes: request('PUT', '/api/keys/k', {}, tooBigForStore) },
      { name: 'a value that is not UTF-8', bytes: request('PUT', '/api/keys/k', {}, Buffer.from([0xc3, 0x28])) },
      { name: 'HEAD', bytes: request('HEAD', '/api/get/k'), head: true },
      { name: 'a method the route does not take', bytes: request('PATCH', '/api/keys/k') },
      { name: 'a path in another case', bytes: request('GET', '/API/GET/k') },
      { name: 'a nested path', bytes: request('GET', '/api/get/k/more') },
      { name: 'an empty key', bytes: request('GET', '/api/get/') },
      { name: 'an absolute-form target', bytes: request('GET', 'http://localhost/api/get/k') },
      { name: 'a trailing slash', bytes: request('POST', '/api/post/?key=t&value=v') },
    ]);
    expect(statuses.map((line) => line.replace(/^.*: HTTP\/1\.1 (\d+).*$/, '$1'))).to.include.members(['200', '204', '400', '404', '405', '413', '415']);
  });

  it('on a router that cannot reach a server: 503 with Retry-After', async () => {
    const statuses = await expectSameAnswers(await pair(emptyRouter), [
      { name: 'a read', bytes: request('GET', '/api/get/k') },
      { name: 'a write', bytes: request('POST', '/api/post?key=k&value=v') },
      { name: 'a PUT', bytes: request('PUT', '/api/keys/k', {}, 'v') },
    ]);
    expect(statuses.every((line) => line.endsWith('503 Service Unavailable')), statuses.join('\n')).to.equal(true);
  });

  it('with client auth on: 401 with WWW-Authenticate, counted by reason, and the token let through', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'parity-')), 'tokens');
    writeFileSync(file, `${TOKEN}\n`);
    const credential = await ClientCredential.open(file);
    const twinPair = await pair(localBackend, (metrics) => clientAuthGuard(credential, metrics.clientAuthFailures));
    const statuses = await expectSameAnswers(twinPair, [
      { name: 'no token', bytes: request('GET', '/api/get/k') },
      { name: 'a wrong token, with a body', bytes: request('PUT', '/api/keys/k', { Authorization: 'Bearer wrong-token-0123456789' }, 'v') },
      { name: 'the token', bytes: request('PUT', '/api/keys/k', { Authorization: `Bearer ${TOKEN}` }, 'v') },
      { name: 'its read', bytes: request('GET', '/api/get/k', { Authorization: `Bearer ${TOKEN}` }) },
      { name: 'a probe', bytes: request('GET', '/healthz') },
    ]);
    expect(statuses.map((line) => line.replace(/^.*: HTTP\/1\.1 (\d+).*$/, '$1'))).to.deep.equal(['401', '401', '204', '200', '200']);
    const [direct, koa] = await Promise.all(twinPair.map(async (twin) => (await twin.metrics.clientAuthFailures.get()).values));
    expect(direct).to.deep.equal(koa);
    credential.stop();
  });
});
