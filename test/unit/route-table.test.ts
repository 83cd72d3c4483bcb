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

  it('finds a plain route where the fast path would dispatch it, and only a plain one', () => {
    const plain = new RouteTable()
      .plain('GET', '/api/get/:key', () => ({ status: 204 }))
      .plain('POST', '/api/post', () => ({ status: 204 }))
      .get('/healthz', () => undefined);
    expect(plain.findPlain('GET', '/api/get/a%2Fb')?.template).to.equal('/api/get/:key');
    expect(plain.findPlain('POST', '/api/post')?.template).to.equal('/api/post');
    for (const [method, path] of [['HEAD', '/api/get/k'], ['GET', '/API/GET/k'], ['GET', '/api/get/'], ['GET', '/api/get/a/b'], ['GET', '/healthz'], ['POST', '/api/post/']]) {
      expect(plain.findPlain(method as string, path as string), `${method} ${path}`).to.equal(undefined);
    }
  });

  it('refuses a plain route whose template only @koa/router could match', () => {
    expect(() => new RouteTable().plain('GET', '/api/:a/:b', () => ({ status: 204 }))).to.throw(/fixed path or one trailing :param/);
  });
});
