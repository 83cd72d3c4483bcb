// What a client's connection may cost a process before any route sees a
// request: how long its head and its whole request may take, how long it may
// sit idle or stalled, and how many connections there may be. A malformed,
// oversized or too slow request is answered with the same JSON error as every
// other failure (Node's own answer has no body) and the connection is closed:
// fully, within a grace, whether or not the client reads the answer or closes
// its side. Every state a connection can be in has a deadline; the table is in
// docs/architecture.md "The connection guard".
import { STATUS_CODES, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { Server as SecureServer } from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { ConnectionSlots } from './connection-slots.js';

export interface ConnectionLimits {
  /** A request head (request line and headers) must be complete within this. */
  headersTimeoutMs: number;
  /** The whole request, body included, must arrive within this. */
  requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this. */
  keepAliveTimeoutMs: number;
  /** At most this many connections; past it, the one waiting longest on its client is closed (connection-slots.ts). */
  maxConnections: number;
  /** A connection whose answer waits to be written and does not move for this long is closed (a client that does not read it). */
  stallTimeoutMs: number;
  /** After an answer to a client error, the client has this long to read it before the connection is destroyed. */
  closeGraceMs: number;
  /** How often Node looks for requests past their timeouts, and the guard for stalled answers; Node's default is 30 s, which would add up to 30 s to each. */
  checkIntervalMs: number;
}

export const CONNECTION_LIMITS: ConnectionLimits = {
  // A slowloris trickles header lines to hold a connection: 10 s cuts it off (and frees its slot) well
  // within 30 s, and is still ample for a real client's head; a 1 MiB value sent the prototype's way
  // (in the query string, up to 3 MiB percent-encoded) needs 300 KB/s, and PUT carries it in the body.
  headersTimeoutMs: 10_000,
  // A full 8 MiB body at about 300 KB/s; a slow body holds a connection no longer than this.
  requestTimeoutMs: 30_000,
  // Longer than the routers' upstream pools keep an idle connection (30 s, transport/server-channel.ts)
  // and than common load balancers' 60 s, so the client side always closes first and never sends a
  // request into a connection the server is closing.
  keepAliveTimeoutMs: 65_000,
  // ~30x the 32 connections at which a router reaches its peak rate; past that, more routers behind the
  // Service, not more connections. Bounds file descriptors and the memory of heads in flight.
  maxConnections: 1024,
  // Counted only while bytes wait to be written and none of them moves: a reader that slow over any
  // real network is not reading. A request the process works on has nothing waiting, whatever it takes.
  stallTimeoutMs: 60_000,
  // Ample to read a short answer over any real network; a half-closed socket whose client never reads
  // or closes would otherwise hold its file descriptor and its slot forever (FIN-WAIT-2 with an owner).
  closeGraceMs: 1000,
  checkIntervalMs: 1000,
};

/** Options for createServer; maxConnections is set on the server once created (guardConnections). */
export function serverTimeouts(limits: ConnectionLimits): { headersTimeout: number; requestTimeout: number; keepAliveTimeout: number; connectionsCheckingInterval: number } {
  return {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    connectionsCheckingInterval: limits.checkIntervalMs,
  };
}

/** The status and message for an error Node's HTTP parser or its timers raised on a connection. */
export function clientErrorAnswer(code: string | undefined, limits: ConnectionLimits): { status: number; error: string } {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return { status: 431, error: 'request head is too large' };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return {
        status: 408,
        error: `request too slow: the head must arrive within ${limits.headersTimeoutMs / 1000}s and the whole request within ${limits.requestTimeoutMs / 1000}s`,
      };
    default:
      return { status: 400, error: 'malformed HTTP request' };
  }
}

/** Each connection's one key, the same from its TCP socket and from the TLS socket over it. */
function endpoint(socket: Duplex): string | undefined {
  const { remoteAddress, remotePort } = socket as Socket;
  return remoteAddress === undefined || remotePort === undefined ? undefined : `${remoteAddress}|${remotePort}`;
}

function rawAnswer(status: number, message: string, extraHeaders = ''): string {
  const body = JSON.stringify({ error: message });
  return `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n${extraHeaders}`
    + `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
}

/**
 * Sends a last answer and closes: the client gets `closeGraceMs` to read it and close its side,
 * and the socket is destroyed then whatever it did. What the client keeps sending meanwhile is read
 * and dropped, so that closing does not reset the connection before the answer is read.
 */
function answerAndClose(socket: Duplex, answer: string, graceMs: number): void {
  const grace = setTimeout(() => socket.destroy(), graceMs);
  grace.unref();
  socket.once('close', () => clearTimeout(grace));
  socket.end(answer);
  socket.resume();
}

/** What Node's HTTP server keeps on a connection's socket: the answer in flight, with its request. */
type HttpSocket = Duplex & { _httpMessage?: (ServerResponse & { req?: IncomingMessage }) | null };

/** Node keeps the response in flight on its socket; an answer may be written only if none of it was. */
function answerStarted(socket: Duplex): boolean {
  return (socket as HttpSocket)._httpMessage?.headersSent === true;
}

/**
 * Whether the process works on a request of the connection: one is in flight, received whole, and its
 * answer is not stuck behind a client that does not read. Asked only when the process is full.
 */
function worksOn(socket: HttpSocket): boolean {
  const response = socket._httpMessage;
  return response?.req?.complete === true && !socket.writableNeedDrain;
}

/**
 * Bounds what connections may cost `server`: timeouts (set at its creation, serverTimeouts), a
 * stall timeout, the connection cap, and the answers to client errors. It registers `handler` as the
 * server's one request listener, noting each request on its way: a second listener would cost every
 * request a copy of the listener list.
 */
export function guardConnections(server: Server | SecureServer, limits: ConnectionLimits, handler: RequestListener): void {
  // The cap is ours (connection-slots.ts): Node's own would turn every newcomer away.
  server.maxConnections = Number.POSITIVE_INFINITY;
  // Not Node's socket timeout for stalls: it re-arms a timer on every request (4% of a server's rate).
  server.timeout = 0;
  // A slot is held by the TCP socket; the HTTP layer works on it, or on the TLS socket over it.
  const httpSocketOf = new WeakMap<Socket, HttpSocket>();
  const tcpSocketOf = new WeakMap<Duplex, Socket>();
  const slots = new ConnectionSlots<Socket>(limits.maxConnections, (tcp) => worksOn(httpSocketOf.get(tcp) ?? tcp));
  // TLS sockets come without a public link to their TCP socket: found once per connection by the client's address.
  const awaitingHandshake = new Map<string, Socket>();

  server.on('connection', (socket: Socket) => {
    socket.once('close', () => slots.closed(socket));
    const victim = slots.admit(socket);
    if (victim === socket) {
      // Every other connection is being worked on: a real overload, so this one is told and closed at once.
      socket.once('finish', () => socket.destroy());
      socket.end(rawAnswer(503, `this process is at its limit of ${limits.maxConnections} connections, all busy; retry`, 'Retry-After: 1\r\n'));
      return;
    }
    victim?.destroy();
    tcpSocketOf.set(socket, socket);
    if ('setSecureContext' in server) {
      const key = endpoint(socket);
      if (key === undefined) return;
      awaitingHandshake.set(key, socket);
      socket.once('close', () => awaitingHandshake.get(key) === socket && awaitingHandshake.delete(key));
    }
  });

  server.on('secureConnection', (tls: Duplex) => {
    const key = endpoint(tls);
    const tcp = key === undefined ? undefined : awaitingHandshake.get(key);
    if (key === undefined || tcp === undefined) return;
    awaitingHandshake.delete(key);
    httpSocketOf.set(tcp, tls);
    tcpSocketOf.set(tls, tcp);
  });

  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const tcp = tcpSocketOf.get(request.socket);
    if (tcp !== undefined) slots.requestStarted(tcp);
    handler(request, response);
  });

  // Stalled answers: a connection with bytes waiting to be written whose count has not moved for the
  // stall timeout is destroyed. One pass over the slots a check interval, not a timer per request.
  const queued = new WeakMap<Socket, { bytes: number; since: number }>();
  const sweep = setInterval(() => {
    const now = performance.now();
    for (const tcp of slots.connections()) {
      const waiting = (httpSocketOf.get(tcp) ?? tcp).writableLength;
      const seen = queued.get(tcp);
      if (waiting === 0) queued.delete(tcp);
      else if (seen === undefined || seen.bytes !== waiting) queued.set(tcp, { bytes: waiting, since: now });
      else if (now - seen.since >= limits.stallTimeoutMs) tcp.destroy();
    }
  }, limits.checkIntervalMs);
  sweep.unref();
  server.once('close', () => clearInterval(sweep));

  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (error.code === 'ECONNRESET' || !socket.writable || answerStarted(socket)) {
      socket.destroy();
      return;
    }
    const { status, error: message } = clientErrorAnswer(error.code, limits);
    answerAndClose(socket, rawAnswer(status, message), limits.closeGraceMs);
  });
}
