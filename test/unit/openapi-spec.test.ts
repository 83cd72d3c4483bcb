// openapi.yaml is the router's published contract: it must list exactly the
// routes the router registers, with the limits the code enforces.
import { expect } from 'chai';
import type { AddressInfo } from 'node:net';
import type { CacheBackend } from '../../dataplane/api/backend.js';
import { createApp, listen } from '../../dataplane/http/app.js';
import { loadOpenApi, OPENAPI_ROUTE } from '../../dataplane/http/openapi-route.js';
import type { RouteTable } from '../../dataplane/http/route-table.js';
import { createLogger } from '../../dataplane/observability/logger.js';
import { DataplaneMetrics } from '../../dataplane/observability/metrics.js';
import { MAX_BATCH_KEYS, MAX_KEY_BYTES, MAX_TTL_SECONDS, MAX_VALUE_BYTES } from '../../dataplane/protocol/limits.js';
import { routerRoutes } from '../../dataplane/router/router-routes.js';
import { OPEN_PATHS } from '../../dataplane/security/client-tokens.js';

const OPERATION_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** A backend the routes are built over; nothing here calls it. */
const idleBackend: CacheBackend = {
  getMany: async () => [],
  setMany: async () => undefined,
  delete: async () => false,
  describeRing: () => ({ epoch: 0, replicationFactor: 2, members: [] }),
  isReady: () => true,
};

function buildRouterRoutes(): RouteTable {
  return routerRoutes(idleBackend, { notReadyReason: () => undefined }, new DataplaneMetrics('client'));
}

/** `/api/keys/:key` as OpenAPI writes it: `/api/keys/{key}`. */
const toOpenApiPath = (template: string): string => template.replace(/:(\w+)/g, '{$1}');

interface Registered {
  /** "GET /api/keys/{key}" for each method a route takes; HEAD is @koa/router's own, for every GET. */
  operations: string[];
  /** Routes that take any method: the key-less prefixes of keyed routes, which answer 400 "key must not be empty". */
  anyMethod: string[];
}

function registered(table: RouteTable): Registered {
  const operations: string[] = [];
  const anyMethod: string[] = [];
  for (const layer of table.router.stack) {
    const methods = layer.methods.filter((method) => method !== 'HEAD');
    // router.all() registers every method @koa/router knows.
    if (methods.length > 4) anyMethod.push(toOpenApiPath(layer.path as string));
    else operations.push(...methods.map((method) => `${method} ${toOpenApiPath(layer.path as string)}`));
  }
  return { operations, anyMethod };
}

function specified(): string[] {
  const { paths } = loadOpenApi();
  return Object.entries(paths).flatMap(([path, item]) =>
    Object.keys(item).filter((key) => OPERATION_METHODS.includes(key)).map((method) => `${method.toUpperCase()} ${path}`));
}

describe('openapi.yaml', () => {
  const routes = registered(buildRouterRoutes());

  it('lists every route the router registers', () => {
    expect(routes.operations).to.not.be.empty;
    expect(specified()).to.include.members(routes.operations);
  });

  it('lists only routes the router registers', () => {
    expect(routes.operations).to.include.members(specified());
    expect(specified()).to.have.length(routes.operations.length);
  });

  it('covers each any-method route as the empty key of a keyed route it lists', () => {
    const keyedPaths = specified().map((operation) => operation.split(' ')[1] as string);
    expect(routes.anyMethod).to.not.be.empty;
    for (const prefix of routes.anyMethod) expect(keyedPaths, prefix).to.include(`${prefix}{key}`);
  });

  it('states the limits the code enforces', () => {
    const { schemas } = loadOpenApi().components;
    expect(schemas.Key).to.include({ minLength: 1, maxLength: MAX_KEY_BYTES });
    expect(schemas.Value).to.include({ maxLength: MAX_VALUE_BYTES });
    expect(schemas.Ttl).to.include({ minimum: 1, maximum: MAX_TTL_SECONDS });
    const { paths } = loadOpenApi();
    for (const [path, field] of [['/api/mget', 'keys'], ['/api/mset', 'entries']] as const) {
      const body = paths[path]?.post as { requestBody: { content: { 'application/json': { schema: { properties: Record<string, unknown> } } } } };
      expect(body.requestBody.content['application/json'].schema.properties[field], path).to.include({ minItems: 1, maxItems: MAX_BATCH_KEYS });
    }
  });

  it('declares the bearer scheme as optional (client auth is off by default), and no scheme on the paths client auth leaves open', () => {
    const document = loadOpenApi() as unknown as {
      security?: unknown;
      components: { securitySchemes?: Record<string, { type?: string; scheme?: string; description?: string }> };
      paths: Record<string, Record<string, { security?: unknown }>>;
    };
    expect(document.components.securitySchemes?.['bearerAuth']).to.include({ type: 'http', scheme: 'bearer' });
    expect(document.components.securitySchemes?.['bearerAuth']?.description).to.match(/only when\s+client auth is on/);
    expect(document.security).to.deep.equal([{}, { bearerAuth: [] }]);
    const open = Object.entries(document.paths).filter(([, item]) => Object.values(item).some((operation) => Array.isArray(operation.security) && operation.security.length === 0));
    expect(open.map(([path]) => path).sort()).to.deep.equal([...OPEN_PATHS].sort());
  });

  it(`is served as JSON at GET ${OPENAPI_ROUTE}`, async () => {
    const app = createApp(buildRouterRoutes(), new DataplaneMetrics('client'), createLogger('silent', { role: 'client' }));
    const server = await listen(app, '127.0.0.1', 0);
    try {
      const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}${OPENAPI_ROUTE}`);
      expect(response.status).to.equal(200);
      expect(response.headers.get('content-type')).to.match(/^application\/json/);
      expect(await response.json()).to.deep.equal(loadOpenApi());
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
