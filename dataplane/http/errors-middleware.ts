// Turns every failure into a JSON answer with the right status. Unknown
// errors become a bare 500 and are logged here with their stack; callers
// never see one.
import type { Middleware } from 'koa';
import { CacheError, RouteNotFoundError } from '../protocol/errors.js';
import type { Logger } from '../observability/logger.js';

export function errorsMiddleware(logger: Logger): Middleware {
  return async (ctx, next) => {
    try {
      await next();
      // Nothing answered: an unknown route gets the same JSON error as every other failure.
      if (ctx.status === 404 && ctx.body == null) throw new RouteNotFoundError(`no route for ${ctx.method} ${ctx.path}`);
    } catch (error) {
      if (error instanceof CacheError) {
        ctx.status = error.status;
        ctx.set(error.headers);
        ctx.body = { error: error.message };
        return;
      }
      // Koa and Node raise http-errors (with `expose`) for malformed requests.
      const httpError = error as { status?: number; expose?: boolean; message?: string };
      if (httpError.expose && typeof httpError.status === 'number' && httpError.status < 500) {
        ctx.status = httpError.status;
        ctx.body = { error: httpError.message };
        return;
      }
      logger.error({ err: error, method: ctx.method, path: ctx.path }, 'request failed');
      ctx.status = 500;
      ctx.body = { error: 'internal error' };
    }
  };
}
