import { expect } from 'chai';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { readRequestBody, readRequestJson } from '../../dataplane/http/body.js';
import { DirectRoutes } from '../../dataplane/http/direct-routes.js';
import { createLogger } from '../../dataplane/observability/logger.js';
import { RequestMetrics } from '../../dataplane/observability/request-metrics.js';
import { BadRequestError } from '../../dataplane/protocol/errors.js';
import { call } from '../support/http.js';

describe('direct routes (in front of Koa)', () => {
  let server: Server;
  let base: string;
  const registry = new Registry();
  const routes = new DirectRoutes(new RequestMetrics(registry), createLogger('silent', {}))
    .post('/echo', async (req) => ({ got: await readRequestJson(req, 64) }))
    .post('/bad', async () => {
      throw new BadRequestError('that was wrong');
    })
    .post('/bug', async () => {
      throw new Error('secret internals');
    });

  before(async () => {
    server = createServer(routes.listener((_req, res) => res.writeHead(299).end('fallback')));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const post = (path: string, body: string, type = 'application/json') =>
    call(`${base}${path}`, { method: 'POST', headers: { 'content-type': type }, body });

  it('answers a direct route with its result as JSON', async () => {
    const answer = await post('/echo?ignored=1', '{"a":[1,2]}');
    expect(answer.status).to.equal(200);
    expect(answer.headers.get('content-type')).to.equal('application/json; charset=utf-8');
    expect(answer.json()).to.deep.equal({ got: { a: [1, 2] } });
  });

  it('leaves every other path to the fallback listener', async () => {
    expect((await call(`${base}/elsewhere`)).status).to.equal(299);
  });

  it('answers a typed error with its status and message, and any other error with a bare 500', async () => {
    const bad = await post('/bad', '{}');
    expect([bad.status, bad.json()]).to.deep.equal([400, { error: 'that was wrong' }]);
    const bug = await post('/bug', '{}');
    expect([bug.status, bug.json()]).to.deep.equal([500, { error: 'internal error' }]);
    expect(bug.text).not.to.include('secret');
  });

  it('refuses a wrong method, a wrong media type, bad JSON and an oversized body', async () => {
    const get = await call(`${base}/echo`);
    expect([get.status, get.headers.get('allow'), get.json()]).to.deep.equal([405, 'POST', { error: 'method not allowed on this route' }]);
    expect((await post('/echo', 'k=v', 'application/x-www-form-urlencoded')).status).to.equal(415);
    expect((await post('/echo', '{"a":')).json()).to.deep.equal({ error: 'request body is not valid JSON' });
    expect((await post('/echo', '')).json()).to.deep.equal({ error: 'request body is empty; expected JSON' });
    const large = await post('/echo', JSON.stringify({ pad: 'x'.repeat(100) }));
    expect(large.status).to.equal(413);
    // The rest of the body was read and dropped (so the sender could read the 413): the connection stays usable.
    expect(large.headers.get('connection')).to.equal('keep-alive');
  });

  it('counts each answer by path, method and status', async () => {
    await post('/bad', '{}');
    const text = await registry.metrics();
    expect(text).to.match(/dcache_http_requests_total\{route="\/bad",method="POST",status="400"\} [1-9]/);
  });

  it('stops waiting for a body whose sender goes away', async () => {
    const reader = new Promise<string>((resolve) => {
      const probe = createServer((req, res) => {
        readRequestBody(req, 1024).then(() => resolve('resolved'), (error: Error) => resolve(error.message));
        res.on('close', () => probe.close());
      });
      probe.listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as AddressInfo;
        const req = request({ port, host: '127.0.0.1', method: 'POST', headers: { 'content-length': '100' } });
        req.on('error', () => undefined);
        req.write('only part of it');
        setTimeout(() => req.destroy(), 50);
      });
    });
    expect(await reader).to.match(/^request body ended early/);
  });
});
