// Koa's side of the error answers: whatever the routes throw, and an unknown
// route, becomes errorAnswer's JSON answer.
import type { Middleware } from 'koa';
import { RouteNotFoundError } from '../protocol/errors.js';
import type { Logger } from '../observability/logger.js';
import { errorAnswer } from './error-answer.js';

export function errorsMiddleware(logger: Logger): Middleware {
  return async (ctx, next) => {
    try {
      await next();
      // Nothing answered: an unknown route gets the same JSON error as every other failure.
      if (ctx.status === 404 && ctx.body == null) throw new RouteNotFoundError(`no route for ${ctx.method} ${ctx.path}`);
    } catch (error) {
      const answer = errorAnswer(error, logger, ctx);
      ctx.status = answer.status;
      ctx.set(answer.headers);
      ctx.body = answer.body;
    }
  };
}
