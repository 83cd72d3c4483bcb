import { expect } from 'chai';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp, listen } from '../../dataplane/http/app.js';
import type { ConnectionLimits } from '../../dataplane/http/connection-guard.js';
import { RouteTable } from '../../dataplane/http/route-table.js';
import { createLogger } from '../../dataplane/observability/logger.js';
import { DataplaneMetrics } from '../../dataplane/observability/metrics.js';
import { MAX_REQUEST_HEAD_BYTES } from '../../dataplane/protocol/limits.js';
import { openSocket, parseRawAnswer, trickle, untilClosed } from '../support/raw-http.js';

/** Small limits, so each one is reached in well under a second. */
const LIMITS: ConnectionLimits = { headersTimeoutMs: 300, requestTimeoutMs: 800, keepAliveTimeoutMs: 2000, maxConnections: 3, checkIntervalMs: 50 };

function expectJsonError(text: string, status: number, message: RegExp): void {
  const answer = parseRawAnswer(text);
  expect(answer.status, text.slice(0, 200)).to.equal(status);
  expect(answer.contentType).to.match(/^application\/json/);
  expect((JSON.parse(answer.body) as { error: string }).error).to.match(message);
}

/** `first`, then `line` for as long as the connection lasts. */
function* endless(first: string, line: string): Generator<string> {
  yield first;
  for (;;) yield line;
}

describe('connection guard (a Koa app on loopback with small limits)', () => {
  let server: Server;
  let port: number;

  before(async () => {
    const routes = new RouteTable().get('/ping', (ctx) => void (ctx.body = { pong: true }));
    routes.put('/echo', async (ctx) => {
      const chunks: Buffer[] = [];
      for await (const chunk of ctx.req) chunks.push(chunk as Buffer);
      ctx.body = { bytes: Buffer.concat(chunks).length };
    });
    const app = createApp(routes, new DataplaneMetrics('client'), createLogger('silent', { role: 'client' }));
    server = await listen(app, '127.0.0.1', 0, undefined, LIMITS);
    port = (server.address() as AddressInfo).port;
  });
  after(() => server.closeAllConnections());
  after((done) => void server.close(() => done()));

  it('answers 408 with a JSON error and closes a connection whose head trickles in', async () => {
    const socket = await openSocket(port);
    const started = performance.now();
    const closed = untilClosed(socket);
    void trickle(socket, endless('GET /ping HTTP/1.1\r\n', 'X-Slow: 1\r\n'), 50);
    const { text, at } = await closed;
    expectJsonError(text, 408, /head must arrive within 0.3s/);
    expect(at - started).to.be.within(LIMITS.headersTimeoutMs - 50, LIMITS.headersTimeoutMs + 4 * LIMITS.checkIntervalMs + 200);
  });

  it('closes a connection that sends nothing at all within the head timeout', async () => {
    const socket = await openSocket(port);
    const started = performance.now();
    const { at } = await untilClosed(socket);
    expect(at - started).to.be.below(LIMITS.headersTimeoutMs + 4 * LIMITS.checkIntervalMs + 200);
  });

  it('answers 408 to a body that trickles in past the request timeout', async () => {
    const socket = await openSocket(port);
    const closed = untilClosed(socket);
    socket.write('PUT /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n');
    void trickle(socket, endless('b', 'b'), 100);
    expectJsonError((await closed).text, 408, /whole request within 0.8s/);
  });

  it('keeps an idle keep-alive connection past the head timeout: that is the keep-alive timeout\'s job', async () => {
    const socket = await openSocket(port);
    const answers: string[] = [];
    socket.on('data', (chunk: Buffer) => answers.push(chunk.toString()));
    socket.write('GET /ping HTTP/1.1\r\nHost: x\r\n\r\n');
    await new Promise((resolve) => setTimeout(resolve, LIMITS.headersTimeoutMs * 2));
    socket.write('GET /ping HTTP/1.1\r\nHost: x\r\n\r\n');
    await new Promise((resolve) => setTimeout(resolve, 200));
    socket.destroy();
    expect(answers.join('').match(/HTTP\/1\.1 200/g)).to.have.length(2);
  });

  it('answers 431 with a JSON error to a head over the limit', async () => {
    const socket = await openSocket(port);
    const closed = untilClosed(socket);
    socket.write(`GET /ping HTTP/1.1\r\nHost: x\r\nX-Big: ${'h'.repeat(MAX_REQUEST_HEAD_BYTES)}\r\n\r\n`);
    expectJsonError((await closed).text, 431, /request head is too large/);
  });

  it('answers 400 with a JSON error to a request that is not HTTP', async () => {
    const socket = await openSocket(port);
    const closed = untilClosed(socket);
    socket.write('HELLO THERE\r\n\r\n');
    expectJsonError((await closed).text, 400, /malformed HTTP request/);
  });

  it(`closes connections past the cap at once, and serves again once one is gone`, async () => {
    const held = await Promise.all(Array.from({ length: LIMITS.maxConnections }, () => openSocket(port)));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const extra = await openSocket(port);
    const started = performance.now();
    const { text, at } = await untilClosed(extra);
    expect(text).to.equal('');
    expect(at - started).to.be.below(LIMITS.headersTimeoutMs);
    for (const socket of held) socket.destroy();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const response = await fetch(`http://127.0.0.1:${port}/ping`);
    expect(response.status).to.equal(200);
  });
});
