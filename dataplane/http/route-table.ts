// Routes are declared once, here. Every route is registered with @koa/router,
// which also answers 405 for a method a path does not take. Routes whose path
// is fixed, or a fixed prefix plus one trailing :param, are dispatched first
// by a Map lookup: @koa/router matches every layer and composes a fresh
// middleware chain on each request, which cost a server about 30% of its GET
// throughput (45.5k against 31k req/s for a bare Koa app, wrk -t1 -c32).
import Router from '@koa/router';
import type { Middleware, ParameterizedContext } from 'koa';
import { markRoute } from './request-recorder.js';

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';
export type RouteHandler = (ctx: ParameterizedContext) => unknown;

interface PrefixRoute {
  prefix: string;
  template: string;
  handler: RouteHandler;
}

export class RouteTable {
  readonly router = new Router();
  private readonly exact = new Map<string, { template: string; handler: RouteHandler }>();
  private readonly prefixed = new Map<Method, PrefixRoute[]>();

  get(template: string, handler: RouteHandler): this {
    return this.add('GET', template, handler);
  }

  post(template: string, handler: RouteHandler): this {
    return this.add('POST', template, handler);
  }

  put(template: string, handler: RouteHandler): this {
    return this.add('PUT', template, handler);
  }

  delete(template: string, handler: RouteHandler): this {
    return this.add('DELETE', template, handler);
  }

  /** Any method: left to @koa/router alone. */
  all(template: string, handler: RouteHandler): this {
    this.router.all(template, (ctx) => handler(ctx));
    return this;
  }

  private add(method: Method, template: string, handler: RouteHandler): this {
    this.router.register(template, [method], (ctx) => handler(ctx));
    const param = /^(.*\/):[A-Za-z]\w*$/.exec(template);
    if (!template.includes(':')) {
      this.exact.set(`${method} ${template}`, { template, handler });
    } else if (param && !param[1]!.includes(':')) {
      const routes = this.prefixed.get(method) ?? [];
      routes.push({ prefix: param[1]!, template, handler });
      this.prefixed.set(method, routes);
    }
    return this;
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

  private find(method: Method, path: string): { template: string; handler: RouteHandler } | undefined {
    const exact = this.exact.get(`${method} ${path}`);
    if (exact) return exact;
    for (const route of this.prefixed.get(method) ?? []) {
      // One non-empty path segment after the prefix, as @koa/router's :param would take.
      if (path.length > route.prefix.length && path.startsWith(route.prefix) && path.indexOf('/', route.prefix.length) === -1) return route;
    }
    return undefined;
  }
}
