import { expect } from 'chai';
import type { ParameterizedContext } from 'koa';
import { RouteTable } from '../../dataplane/http/route-table.js';

/** Runs the fast path for one request; returns which handler ran, or 'router' when it fell through. */
async function dispatch(table: RouteTable, method: string, path: string): Promise<{ ran: string; route?: string }> {
  const ctx = { method, path } as unknown as ParameterizedContext & { ran?: string; _matchedRoute?: string };
  let ran = 'router';
  // Koa wraps whatever a middleware returns in a promise; a sync handler returns no promise of its own.
  await Promise.resolve(table.dispatch()(ctx, async () => undefined));
  ran = ctx.ran ?? ran;
  return ctx._matchedRoute ? { ran, route: ctx._matchedRoute } : { ran };
}

describe('route table', () => {
  const table = new RouteTable()
    .get('/healthz', (ctx) => void ((ctx as { ran?: string }).ran = 'health'))
    .get('/api/get/:key', (ctx) => void ((ctx as { ran?: string }).ran = 'get'))
    .put('/api/keys/:key', (ctx) => void ((ctx as { ran?: string }).ran = 'put'))
    .post('/api/post', (ctx) => void ((ctx as { ran?: string }).ran = 'post'))
    .all('/api/get/', () => undefined);

  it('dispatches fixed paths and one trailing parameter directly, labelled by template', async () => {
    expect(await dispatch(table, 'GET', '/healthz')).to.deep.equal({ ran: 'health', route: '/healthz' });
    expect(await dispatch(table, 'GET', '/api/get/a%2Fb')).to.deep.equal({ ran: 'get', route: '/api/get/:key' });
    expect(await dispatch(table, 'PUT', '/api/keys/k')).to.deep.equal({ ran: 'put', route: '/api/keys/:key' });
    expect(await dispatch(table, 'POST', '/api/post')).to.deep.equal({ ran: 'post', route: '/api/post' });
  });

  it('leaves everything else to @koa/router: other methods, empty or nested parameters, unknown paths', async () => {
    for (const [method, path] of [['DELETE', '/api/get/k'], ['GET', '/api/get/'], ['GET', '/api/get/a/b'], ['GET', '/nowhere'], ['HEAD', '/healthz']]) {
      expect(await dispatch(table, method as string, path as string), `${method} ${path}`).to.deep.equal({ ran: 'router' });
    }
  });

  it('registers every route with @koa/router too, so it can answer 405', () => {
    const paths = table.router.stack.map((layer) => layer.path);
    expect(paths).to.include.members(['/healthz', '/api/get/:key', '/api/keys/:key', '/api/post', '/api/get/']);
  });
});
