// Routes answered by a plain node:http handler in front of Koa. Only the
// internal batch route is one: every read and write a router forwards, and
// every key a hand-off moves, is one of its calls. Koa's per-request context,
// promise chain and response handling took about 40% of that route's time
// (batches of 4 reads/s, wrk -t1 -c32, median of 3: Koa 14.1k, this 25.0k,
// a bare node:http server doing the same work 27.3k; see the README).
// Failures get the same answers (errorAnswer) and requests the same
// recorder (recordRequest) as in the Koa app.
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { MethodNotAllowedError } from '../protocol/errors.js';
import type { Logger } from '../observability/logger.js';
import type { RequestMetrics } from '../observability/request-metrics.js';
import { errorAnswer } from './error-answer.js';
import { recordRequest } from './request-recorder.js';

/** Answers one request; whatever it throws is turned into an error answer. */
export type DirectHandler = (req: IncomingMessage) => Promise<unknown>;
/** Checks a request before any route sees it: the error to answer with, or undefined to go on. */
export type RequestGuard = (req: IncomingMessage) => Error | undefined;

const JSON_TYPE = 'application/json; charset=utf-8';
/** Direct routes take POST only. */
const notPost = (): MethodNotAllowedError => new MethodNotAllowedError('method not allowed on this route', 'POST');

function writeJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'content-type': JSON_TYPE, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export class DirectRoutes {
  private readonly routes = new Map<string, DirectHandler>();
  private readonly guards: Array<{ prefix: string; guard: RequestGuard }> = [];

  constructor(private readonly metrics: RequestMetrics, private readonly logger: Logger) {}

  /** A POST route whose handler's result is sent as a 200 JSON answer. */
  post(path: string, handler: DirectHandler): this {
    this.routes.set(path, handler);
    return this;
  }

  /**
   * Checks every request whose path starts with `prefix` (lower case, matched
   * in any case), whichever tier would answer it (a direct route or Koa),
   * before its body is read.
   */
  guard(prefix: string, guard: RequestGuard): this {
    this.guards.push({ prefix, guard });
    return this;
  }

  /** The server's request listener: guards, then direct routes, then everything else to `fallback` (Koa). */
  listener(fallback: RequestListener): RequestListener {
    if (this.routes.size === 0 && this.guards.length === 0) return fallback;
    return (req, res) => {
      const url = req.url ?? '/';
      const query = url.indexOf('?');
      const path = query === -1 ? url : url.slice(0, query);
      const handler = this.routes.get(path);
      const refusal = this.refusal(req, path);
      if (!handler && !refusal) return fallback(req, res);
      const started = performance.now();
      // Unknown paths are labelled as Koa labels them, so raw paths never become label values.
      const answered = (): void => recordRequest(this.metrics, handler ? path : 'unmatched', req.method ?? '', res.statusCode, started);
      if (refusal) {
        this.fail(req, res, path, refusal);
        answered();
        return;
      }
      if (req.method !== 'POST') {
        const { status, headers, body } = errorAnswer(notPost(), this.logger, { path });
        writeJson(res, status, body, headers);
        answered();
        return;
      }
      (handler as DirectHandler)(req).then(
        (answer) => writeJson(res, 200, answer),
        (error: unknown) => this.fail(req, res, path, error),
      ).then(answered, answered);
    };
  }

  private refusal(req: IncomingMessage, path: string): Error | undefined {
    if (this.guards.length === 0) return undefined;
    // @koa/router matches paths case-insensitively: /INTERNAL/... reaches an internal route too.
    const lowered = path.toLowerCase();
    for (const { prefix, guard } of this.guards) {
      if (!lowered.startsWith(prefix)) continue;
      const error = guard(req);
      if (error) return error;
    }
    return undefined;
  }

  private fail(req: IncomingMessage, res: ServerResponse, path: string, error: unknown): void {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const { status, headers, body } = errorAnswer(error, this.logger, { method: req.method, path });
    // A body left unread (too large, or never finished) makes the connection unusable.
    writeJson(res, status, body, req.readableEnded ? headers : { ...headers, Connection: 'close' });
  }
}
