// What a client's connection may cost a process before any route sees a
// request: how long its head and its whole request may take, how long it may
// sit idle, and how many connections there may be. A malformed, oversized or
// too slow request is answered with the same JSON error as every other
// failure (Node's own answer has no body) and the connection is closed.
import { STATUS_CODES, type Server, type ServerResponse } from 'node:http';
import type { Server as SecureServer } from 'node:https';
import type { Duplex } from 'node:stream';

export interface ConnectionLimits {
  /** A request head (request line and headers) must be complete within this. */
  headersTimeoutMs: number;
  /** The whole request, body included, must arrive within this. */
  requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this. */
  keepAliveTimeoutMs: number;
  /** Connections past this many are closed as soon as they are accepted. */
  maxConnections: number;
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

export function guardConnections(server: Server | SecureServer, limits: ConnectionLimits): void {
  server.maxConnections = limits.maxConnections;
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (error.code === 'ECONNRESET' || !socket.writable || answerStarted(socket)) {
      socket.destroy();
      return;
    }
    const { status, error: message } = clientErrorAnswer(error.code, limits);
    const body = JSON.stringify({ error: message });
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n`
      + `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
}
