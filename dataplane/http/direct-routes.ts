// Routes answered by a plain node:http handler in front of Koa: the internal
// batch route, which carries every forwarded op and hand-off copy, and the
// route table's plain routes (the public single-key API, `serve`). Koa's
// per-request context, promise chain and response handling took about 40% of
// the batch route's time (docs/architecture.md, "The hot path").
// Anything else goes on to Koa. Failures get the same answers (errorAnswer,
// errorHeaders) and requests the same recorder (recordRequest) as in the Koa
// app, and answers are written header for header as Koa writes them (a test
// compares the bytes: test/unit/direct-koa-parity.test.ts).
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { MethodNotAllowedError } from '../protocol/errors.js';
import type { Logger } from '../observability/logger.js';
import type { RequestMetrics } from '../observability/request-metrics.js';
import { errorAnswer, errorHeaders, JSON_TYPE } from './error-answer.js';
import { recordRequest } from './request-recorder.js';
import type { PlainAnswer, PlainHandler, RouteTable } from './route-table.js';

/** Answers one request; whatever it throws is turned into an error answer. */
export type DirectHandler = (req: IncomingMessage) => Promise<unknown>;
/** Checks a request before any route sees it: the error to answer with, or undefined to go on. */
export type RequestGuard = (req: IncomingMessage, path: string) => Error | undefined;

/** Direct routes take POST only. */
const notPost = (): MethodNotAllowedError => new MethodNotAllowedError('method not allowed on this route', 'POST');
/**
 * URLs that Koa (parseurl) does not split at the first `?`: an absolute form,
 * or whitespace or `#` anywhere. Koa keeps them, so that both read the same path.
 */
const UNUSUAL_URL = /^[^/]|[\t\n\f\r #\u00a0\ufeff]/;

function writeJson(res: ServerResponse, status: number, body: unknown, headers: Readonly<Record<string, string>>): void {
  const text = JSON.stringify(body);
  // The order and spelling of Koa's: the error's headers, then Content-Type and Content-Length.
  res.writeHead(status, { ...headers, 'Content-Type': JSON_TYPE, 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/** A plain route's answer, as Koa writes it from route-table.ts's answerKoa. */
function writeAnswer(res: ServerResponse, answer: PlainAnswer): void {
  if (answer.body === undefined) {
    res.writeHead(answer.status);
    res.end();
    return;
  }
  res.writeHead(answer.status, answer.type === undefined
    ? { 'Content-Length': Buffer.byteLength(answer.body) }
    : { 'Content-Type': answer.type, 'Content-Length': Buffer.byteLength(answer.body) });
  res.end(answer.body);
}

export class DirectRoutes {
  private readonly routes = new Map<string, DirectHandler>();
  private readonly guards: Array<{ prefix: string; guard: RequestGuard }> = [];
  private table: RouteTable | undefined;
  private tableGuard: RequestGuard | undefined;

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

  /**
   * Also answers the table's plain routes, exactly where its fast path would
   * (the same method, the path in the same case), behind `guard` as Koa puts
   * it in front of every route (app.ts). HEAD, other methods and every other
   * path are Koa's, which answers 405s and the rest.
   */
  serve(table: RouteTable, guard?: RequestGuard): this {
    this.table = table;
    this.tableGuard = guard;
    return this;
  }

  /** The server's request listener: guards, then direct routes, then everything else to `fallback` (Koa). */
  listener(fallback: RequestListener): RequestListener {
    if (this.routes.size === 0 && this.guards.length === 0 && this.table === undefined) return fallback;
    return (req, res) => {
      const url = req.url ?? '/';
      const query = url.indexOf('?');
      const path = query === -1 ? url : url.slice(0, query);
      const handler = this.routes.get(path);
      const refusal = this.refusal(req, path);
      if (!handler && !refusal) {
        const route = this.table?.findPlain(req.method ?? '', path);
        if (route === undefined || UNUSUAL_URL.test(url)) return fallback(req, res);
        return this.servePlain(req, res, path, query === -1 ? '' : url.slice(query + 1), route.template, route.plain);
      }
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
        (answer) => writeJson(res, 200, answer, {}),
        (error: unknown) => this.fail(req, res, path, error),
      ).then(answered, answered);
    };
  }

  private servePlain(req: IncomingMessage, res: ServerResponse, path: string, querystring: string, template: string, plain: PlainHandler): void {
    const started = performance.now();
    const refusal = this.tableGuard?.(req, path);
    let answer: Promise<PlainAnswer>;
    try {
      answer = refusal ? Promise.reject(refusal) : Promise.resolve(plain({ req, path, querystring }));
    } catch (error) {
      answer = Promise.reject(error);
    }
    // A refusal comes before any route matched: Koa labels it 'unmatched'.
    const answered = (): void => recordRequest(this.metrics, refusal ? 'unmatched' : template, req.method as string, res.statusCode, started);
    answer.then(
      (done) => writeAnswer(res, done),
      (error: unknown) => this.fail(req, res, path, error),
    ).then(answered, answered);
  }

  private refusal(req: IncomingMessage, path: string): Error | undefined {
    if (this.guards.length === 0) return undefined;
    // @koa/router matches paths case-insensitively: /INTERNAL/... reaches an internal route too.
    const lowered = path.toLowerCase();
    for (const { prefix, guard } of this.guards) {
      if (!lowered.startsWith(prefix)) continue;
      const error = guard(req, path);
      if (error) return error;
    }
    return undefined;
  }

  private fail(req: IncomingMessage, res: ServerResponse, path: string, error: unknown): void {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const answer = errorAnswer(error, this.logger, { method: req.method, path });
    writeJson(res, answer.status, answer.body, errorHeaders(answer, req));
  }
}
