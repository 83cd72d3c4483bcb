// The one answer to a failure, for every dispatcher (the direct routes, the
// route table and @koa/router): a typed error gets its status, headers and
// `{"error": message}`; anything else a bare 500, logged here with its stack,
// which callers never see.
import type { Logger } from '../observability/logger.js';
import { CacheError } from '../protocol/errors.js';

export interface ErrorAnswer {
  status: number;
  headers: Readonly<Record<string, string>>;
  body: { error: string };
}

const NO_HEADERS: Readonly<Record<string, string>> = {};

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
