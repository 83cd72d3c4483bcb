// What a client's connection may cost a process before any route sees a
// request: how long its head and its whole request may take, how long it may
// sit idle or stalled, and how many connections there may be. A malformed,
// oversized or too slow request is answered with the same JSON error as every
// other failure (Node's own answer has no body) and the connection is closed:
// fully, within a grace, whether or not the client reads the answer or closes
// its side. Every state a connection can be in has a deadline; the table is in
// docs/architecture.md "The connection guard".
import { STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
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
  /** A request in flight on which nothing moves either way for this long is closed (an answer its client does not read). */
  stallTimeoutMs: number;
  /** After an answer to a client error, the client has this long to read it before the connection is destroyed. */
  closeGraceMs: number;
  /** How often Node looks for requests past their timeouts; its default is 30 s, which would add up to 30 s to each. */
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
  // Longer than the longest request a router may work on (a write re-sent up to 5 times, each owner
  // answering within 5 s, transport/server-channel.ts), so it only ever ends a stalled client.
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

/** Node keeps the response in flight on its socket; an answer may be written only if none of it was. */
function answerStarted(socket: Duplex): boolean {
  return (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage?.headersSent === true;
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

/**
 * Bounds what connections may cost `server`: timeouts (set at its creation, serverTimeouts), a
 * stall timeout, the connection cap, and the answers to client errors.
 */
export function guardConnections(server: Server | SecureServer, limits: ConnectionLimits): void {
  // The cap is ours (connection-slots.ts): Node's own would turn every newcomer away.
  server.maxConnections = Number.POSITIVE_INFINITY;
  server.timeout = limits.stallTimeoutMs;
  const slots = new ConnectionSlots<Socket, IncomingMessage>(
    limits.maxConnections,
    (request) => !request.complete || request.socket.writableNeedDrain,
  );
  // A TLS server's requests come on a TLS socket over the TCP socket that holds the slot.
  const byEndpoint = new Map<string, Socket>();

  server.on('connection', (socket: Socket) => {
    const key = endpoint(socket);
    if (key === undefined) {
      socket.destroy(); // reset before it was seen
      return;
    }
    byEndpoint.set(key, socket);
    socket.once('close', () => {
      slots.closed(socket);
      if (byEndpoint.get(key) === socket) byEndpoint.delete(key);
    });
    const victim = slots.admit(socket, performance.now());
    if (victim === socket) {
      // Every other connection is being worked on: a real overload, so this one is told and closed at once.
      socket.once('finish', () => socket.destroy());
      socket.end(rawAnswer(503, `this process is at its limit of ${limits.maxConnections} connections, all busy; retry`, 'Retry-After: 1\r\n'));
    } else {
      victim?.destroy();
    }
  });

  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const key = endpoint(request.socket);
    const socket = key === undefined ? undefined : byEndpoint.get(key);
    if (socket === undefined) return;
    slots.requestStarted(socket, request, performance.now());
    response.once('close', () => slots.requestEnded(socket, request, performance.now()));
  });

  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (error.code === 'ECONNRESET' || !socket.writable || answerStarted(socket)) {
      socket.destroy();
      return;
    }
    const { status, error: message } = clientErrorAnswer(error.code, limits);
    answerAndClose(socket, rawAnswer(status, message), limits.closeGraceMs);
  });
}
