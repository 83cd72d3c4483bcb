// Routes are declared once, here. Every route is registered with @koa/router,
// which also answers 405 for a method a path does not take. Routes whose path
// is fixed, or a fixed prefix plus one trailing :param, are dispatched first
// by a Map lookup: @koa/router matches every layer and composes a fresh
// middleware chain on each request, which cost a server about 30% of its GET
// throughput (45.5k against 31k req/s for a bare Koa app, wrk -t1 -c32).
//
// A plain route (`plain()`) is written once over the bare request and returns
// its answer instead of setting a Koa context, so that it can also be served
// outside Koa by the direct routes (direct-routes.ts, `serve()`); here it is
// registered through an adapter like any other route.
import type { IncomingMessage } from 'node:http';
import Router from '@koa/router';
import type { Middleware, ParameterizedContext } from 'koa';
import { markRoute } from './request-recorder.js';

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';
export type RouteHandler = (ctx: ParameterizedContext) => unknown;

/** What a plain route sees of a request: the raw path (still percent-encoded) and query string. */
export interface PlainRequest {
  readonly req: IncomingMessage;
  readonly path: string;
  /** After the `?`, '' when there is none. */
  readonly querystring: string;
}

/** A plain route's answer: a status, and a text body with its content type, or none (204). */
export interface PlainAnswer {
  status: number;
  type?: string;
  body?: string;
}

export type PlainHandler = (request: PlainRequest) => PlainAnswer | Promise<PlainAnswer>;

interface Route {
  template: string;
  handler: RouteHandler;
  /** Set for a plain route: the same handler, servable outside Koa. */
  plain?: PlainHandler;
}

export interface PlainRoute {
  readonly template: string;
  readonly plain: PlainHandler;
}

interface PrefixRoute extends Route {
  prefix: string;
}

/** Sets a plain route's answer on a Koa context; Koa then writes it as direct-routes.ts's writeAnswer does. */
function answerKoa(ctx: ParameterizedContext, answer: PlainAnswer): void {
  ctx.status = answer.status;
  if (answer.body === undefined) return;
  if (answer.type !== undefined) ctx.type = answer.type;
  ctx.body = answer.body;
}

export class RouteTable {
  readonly router = new Router();
  private readonly exact = new Map<string, Route>();
  private readonly prefixed = new Map<Method, PrefixRoute[]>();

  get(template: string, handler: RouteHandler): this {
    this.add('GET', template, handler);
    return this;
  }

  post(template: string, handler: RouteHandler): this {
    this.add('POST', template, handler);
    return this;
  }

  put(template: string, handler: RouteHandler): this {
    this.add('PUT', template, handler);
    return this;
  }

  delete(template: string, handler: RouteHandler): this {
    this.add('DELETE', template, handler);
    return this;
  }

  /** Any method: left to @koa/router alone. */
  all(template: string, handler: RouteHandler): this {
    this.router.all(template, (ctx) => handler(ctx));
    return this;
  }

  /**
   * A route written over the bare request; it must be a fixed path or a
   * fixed prefix plus one trailing :param, so that the direct routes find it.
   */
  plain(method: Method, template: string, plain: PlainHandler): this {
    const handler: RouteHandler = async (ctx) => {
      answerKoa(ctx, await plain({ req: ctx.req, path: ctx.path, querystring: ctx.querystring }));
    };
    if (!this.add(method, template, handler, plain)) throw new Error(`a plain route needs a fixed path or one trailing :param: ${template}`);
    return this;
  }

  /** Registers a route with @koa/router and, when its template allows, on the fast path; returns whether it is there. */
  private add(method: Method, template: string, handler: RouteHandler, plain?: PlainHandler): boolean {
    this.router.register(template, [method], (ctx) => handler(ctx));
    const param = /^(.*\/):[A-Za-z]\w*$/.exec(template);
    const route: Route = plain ? { template, handler, plain } : { template, handler };
    if (!template.includes(':')) {
      this.exact.set(`${method} ${template}`, route);
      return true;
    }
    if (param && !param[1]!.includes(':')) {
      const routes = this.prefixed.get(method) ?? [];
      routes.push({ ...route, prefix: param[1]! });
      this.prefixed.set(method, routes);
      return true;
    }
    return false;
  }

  /** The fast path; whatever it does not know goes on to @koa/router. */
  dispatch(): Middleware {
    // Not an async function: the handler's own promise is passed up as is, one fewer per request.
    return (ctx, next) => {
      const route = this.find(ctx.method as Method, ctx.path);
      if (!route) return next();
      markRoute(ctx, route.template);
      return route.handler(ctx);
    };
  }

  /** The plain route the fast path would dispatch `method path` to, if it is a plain one. */
  findPlain(method: string, path: string): PlainRoute | undefined {
    const route = this.find(method as Method, path);
    return route?.plain ? (route as PlainRoute) : undefined;
  }

  private find(method: Method, path: string): Route | undefined {
    const exact = this.exact.get(`${method} ${path}`);
    if (exact) return exact;
    for (const route of this.prefixed.get(method) ?? []) {
      // One non-empty path segment after the prefix, as @koa/router's :param would take.
      if (path.length > route.prefix.length && path.startsWith(route.prefix) && path.indexOf('/', route.prefix.length) === -1) return route;
    }
    return undefined;
  }
}
