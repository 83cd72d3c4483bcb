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

  constructor(private readonly metrics: RequestMetrics, private readonly logger: Logger) {}

  /** A POST route whose handler's result is sent as a 200 JSON answer. */
  post(path: string, handler: DirectHandler): this {
    this.routes.set(path, handler);
    return this;
  }

  /** The server's request listener: direct routes first, everything else to `fallback` (Koa). */
  listener(fallback: RequestListener): RequestListener {
    if (this.routes.size === 0) return fallback;
    return (req, res) => {
      const url = req.url ?? '/';
      const query = url.indexOf('?');
      const path = query === -1 ? url : url.slice(0, query);
      const handler = this.routes.get(path);
      if (!handler) return fallback(req, res);
      const started = performance.now();
      const answered = (): void => recordRequest(this.metrics, path, req.method ?? '', res.statusCode, started);
      if (req.method !== 'POST') {
        const { status, headers, body } = errorAnswer(notPost(), this.logger, { path });
        writeJson(res, status, body, headers);
        answered();
        return;
      }
      handler(req).then(
        (answer) => writeJson(res, 200, answer),
        (error: unknown) => this.fail(req, res, path, error),
      ).then(answered, answered);
    };
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
