// The one answer to a failure, for every dispatcher (the direct routes, the
// route table and @koa/router): a typed error gets its status, headers and
// `{"error": message}`; anything else a bare 500, logged here with its stack,
// which callers never see.
import type { IncomingMessage } from 'node:http';
import type { Logger } from '../observability/logger.js';
import { hasBody } from './body.js';
import { CacheError } from '../protocol/errors.js';

export interface ErrorAnswer {
  status: number;
  headers: Readonly<Record<string, string>>;
  body: { error: string };
}

/** The content type of every error answer, and of Koa's JSON bodies. */
export const JSON_TYPE = 'application/json; charset=utf-8';

const NO_HEADERS: Readonly<Record<string, string>> = {};
const CLOSE: Readonly<Record<string, string>> = { Connection: 'close' };

export function errorAnswer(error: unknown, logger: Logger, request: { method?: string | undefined; path: string }): ErrorAnswer {
  if (error instanceof CacheError) return { status: error.status, headers: error.headers, body: { error: error.message } };
  // Koa and Node raise http-errors (with `expose`) for malformed requests.
  const httpError = error as { status?: unknown; expose?: unknown; message?: unknown } | null;
  if (httpError?.expose && typeof httpError.status === 'number' && httpError.status < 500) {
    return { status: httpError.status, headers: NO_HEADERS, body: { error: String(httpError.message) } };
  }
  logger.error({ err: error, method: request.method, path: request.path }, 'request failed');
  return { status: 500, headers: NO_HEADERS, body: { error: 'internal error' } };
}

/**
 * The headers an error answer is sent with, before its content type and
 * length, in this order in every tier: the error's own, then `Connection:
 * close` when the request has a body that was not read to its end (refused
 * before reading, too large to drop, or stalled): the connection is not
 * reused for what is left of it. Whether the body has merely arrived is no
 * test: that depends on timing, and the answer must not.
 */
export function errorHeaders(answer: ErrorAnswer, req: IncomingMessage): Readonly<Record<string, string>> {
  if (req.readableEnded || !hasBody(req)) return answer.headers;
  return { ...answer.headers, ...CLOSE };
}
