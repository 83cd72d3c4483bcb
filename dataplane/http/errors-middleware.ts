// Koa's side of the error answers: whatever the routes throw, and an unknown
// route, becomes errorAnswer's JSON answer.
import type { Middleware } from 'koa';
import { MethodNotAllowedError, RouteNotFoundError } from '../protocol/errors.js';
import type { Logger } from '../observability/logger.js';
import { errorAnswer, errorHeaders } from './error-answer.js';

export function errorsMiddleware(logger: Logger): Middleware {
  return async (ctx, next) => {
    try {
      await next();
      // Nothing answered: an unknown route, or a method the route does not take (@koa/router set the
      // status and Allow; 501 is its answer to a method it does not know, such as TRACE), gets the
      // same JSON error as every other failure.
      if (ctx.body == null) {
        if (ctx.status === 404) throw new RouteNotFoundError(`no route for ${ctx.method} ${ctx.path}`);
        if (ctx.status === 405 || ctx.status === 501) throw new MethodNotAllowedError('method not allowed on this route', ctx.response.get('Allow'));
      }
    } catch (error) {
      const answer = errorAnswer(error, logger, ctx);
      ctx.status = answer.status;
      // Then Koa adds Content-Type and Content-Length, as direct-routes.ts's writeJson does.
      ctx.set(errorHeaders(answer, ctx.req));
      ctx.body = answer.body;
    }
  };
}
