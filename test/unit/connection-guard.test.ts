import { expect } from 'chai';
import type { Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { createApp, listen } from '../../dataplane/http/app.js';
import type { ConnectionLimits } from '../../dataplane/http/connection-guard.js';
import { RouteTable } from '../../dataplane/http/route-table.js';
import { createLogger } from '../../dataplane/observability/logger.js';
import { DataplaneMetrics } from '../../dataplane/observability/metrics.js';
import { MAX_REQUEST_HEAD_BYTES } from '../../dataplane/protocol/limits.js';
import { openSocket, parseRawAnswer, trickle, untilClosed } from '../support/raw-http.js';
import { waitFor } from '../support/wait.js';

/** Small limits, so each one is reached in well under a second or two. */
const LIMITS: ConnectionLimits = {
  headersTimeoutMs: 300, requestTimeoutMs: 800, keepAliveTimeoutMs: 1000, maxConnections: 3, stallTimeoutMs: 1000, closeGraceMs: 200, checkIntervalMs: 50,
};
/** Node looks for expired heads every checkIntervalMs; the rest is scheduling on a busy machine. */
const SLACK_MS = 4 * LIMITS.checkIntervalMs + 300;
/** Node closes an idle keep-alive connection this long after the timeout it advertises, against races with clients. */
const NODE_KEEP_ALIVE_BUFFER_MS = 1000;
/** More than the kernel buffers of a loopback connection hold, so an unread answer stalls. */
const BIG_ANSWER_BYTES = 64 * 1024 * 1024;

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
  /** Requests to /held, each waiting until released. */
  const heldRequests: Array<() => void> = [];
  const releaseHeld = (): void => heldRequests.splice(0).forEach((release) => release());

  /** Connections the server itself still holds open (file descriptors), whatever the client did. */
  const serverConnections = (): Promise<number> =>
    new Promise((resolve, reject) => server.getConnections((error, count) => (error ? reject(error) : resolve(count))));
  /** Resolves how long it took the server to hold no connection at all, from `since`. */
  const allClosedAfter = async (since: number, timeoutMs: number): Promise<number> => {
    await waitFor('the server to hold no connection', async () => (await serverConnections()) === 0 || undefined, { timeoutMs, intervalMs: 10 });
    return performance.now() - since;
  };
  /** A client like a real attacker's: it writes, but never reads what it is sent and never closes. */
  const nonReadingSocket = async (): Promise<Socket> => {
    const socket = await openSocket(port);
    socket.pause();
    socket.on('error', () => undefined);
    return socket;
  };

  afterEach(async () => {
    releaseHeld();
    await waitFor('the last test\'s connections to close', async () => (await serverConnections()) === 0 || undefined, { timeoutMs: 5000, intervalMs: 10 });
  });

  before(async () => {
    const routes = new RouteTable().get('/ping', (ctx) => void (ctx.body = { pong: true }));
    routes.get('/big', (ctx) => void (ctx.body = Buffer.alloc(BIG_ANSWER_BYTES, 'x')));
    routes.get('/held', async (ctx) => {
      await new Promise<void>((resolve) => heldRequests.push(resolve));
      ctx.body = { released: true };
    });
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
    await sleep(LIMITS.headersTimeoutMs * 2);
    socket.write('GET /ping HTTP/1.1\r\nHost: x\r\n\r\n');
    await sleep(200);
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

  it('destroys the connection of a client that never reads its 408, within the grace', async () => {
    const sockets = await Promise.all([1, 2].map(() => nonReadingSocket()));
    const started = performance.now();
    for (const socket of sockets) void trickle(socket, endless('GET /ping HTTP/1.1\r\n', 'X-Slow: 1\r\n'), 50);
    const closedAfter = await allClosedAfter(started, 5000);
    for (const socket of sockets) socket.destroy();
    expect(closedAfter).to.be.within(LIMITS.headersTimeoutMs + LIMITS.closeGraceMs - 50, LIMITS.headersTimeoutMs + LIMITS.closeGraceMs + SLACK_MS);
  });

  it('destroys the connection of a client that never reads its 431 and keeps sending, within the grace', async () => {
    const socket = await nonReadingSocket();
    const started = performance.now();
    socket.write(`GET /ping HTTP/1.1\r\nHost: x\r\nX-Big: ${'h'.repeat(MAX_REQUEST_HEAD_BYTES)}\r\n`);
    void trickle(socket, endless('X-More: 1\r\n', 'X-More: 1\r\n'), 20);
    const closedAfter = await allClosedAfter(started, 5000);
    socket.destroy();
    expect(closedAfter).to.be.below(LIMITS.closeGraceMs + SLACK_MS);
  });

  it('destroys an idle keep-alive connection whose client never reads or closes, after the keep-alive timeout', async () => {
    const socket = await nonReadingSocket();
    socket.write('GET /ping HTTP/1.1\r\nHost: x\r\n\r\n');
    const started = performance.now();
    const closedAfter = await allClosedAfter(started, 5000);
    socket.destroy();
    const closesAt = LIMITS.keepAliveTimeoutMs + NODE_KEEP_ALIVE_BUFFER_MS;
    expect(closedAfter).to.be.within(closesAt - 50, closesAt + SLACK_MS);
  });

  it('destroys a connection whose client stops reading a large answer, once nothing has moved for the stall timeout', async () => {
    const socket = await nonReadingSocket();
    socket.write('GET /big HTTP/1.1\r\nHost: x\r\n\r\n');
    const started = performance.now();
    const closedAfter = await allClosedAfter(started, 10_000);
    socket.destroy();
    expect(closedAfter).to.be.within(LIMITS.stallTimeoutMs - 50, LIMITS.stallTimeoutMs + 2000);
  });

  it('at the cap, closes the connection that has waited longest on its client, and serves the newcomer', async () => {
    const heads = await Promise.all(Array.from({ length: LIMITS.maxConnections }, () => nonReadingSocket()));
    const oldest = heads[0] as Socket;
    const oldestClosed = untilClosed(oldest);
    for (const socket of heads) socket.write('GET /ping HTTP/1.1\r\n');
    await sleep(20);
    const response = await fetch(`http://127.0.0.1:${port}/ping`, { headers: { connection: 'close' } });
    expect(response.status).to.equal(200);
    // The oldest learns of it at its next write, as an attacker would.
    oldest.write('X-Slow: 1\r\n');
    const { text } = await oldestClosed;
    expect(text, 'closed without an answer').to.equal('');
    for (const socket of heads) socket.destroy();
  });

  it('at the cap with every connection being worked on, answers the newcomer 503 with a JSON error and closes it', async () => {
    const held = Array.from({ length: LIMITS.maxConnections }, () => fetch(`http://127.0.0.1:${port}/held`, { headers: { connection: 'close' } }));
    await waitFor('every slot to hold a request', async () => (await serverConnections()) === LIMITS.maxConnections || undefined, { timeoutMs: 2000, intervalMs: 10 });
    await sleep(20);
    const extra = await openSocket(port);
    const started = performance.now();
    const { text, at } = await untilClosed(extra);
    expectJsonError(text, 503, new RegExp(`limit of ${LIMITS.maxConnections} connections, all busy`));
    expect(text).to.match(/^retry-after: 1\r$/im);
    expect(at - started).to.be.below(LIMITS.headersTimeoutMs);
    releaseHeld();
    expect((await Promise.all(held)).map((r) => r.status)).to.deep.equal(Array(LIMITS.maxConnections).fill(200));
  });
});
