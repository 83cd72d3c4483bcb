// Every route a router answers, in one table: health and metrics, the API's
// own contract (openapi.yaml), and the public cache API over the ring.
import type { CacheBackend } from '../api/backend.js';
import { healthRoutes, type Readiness } from '../http/health-routes.js';
import { openApiRoute } from '../http/openapi-route.js';
import { publicRoutes } from '../http/public-routes.js';
import type { RouteTable } from '../http/route-table.js';
import type { DataplaneMetrics } from '../observability/metrics.js';

export function routerRoutes(backend: CacheBackend, readiness: Readiness, metrics: DataplaneMetrics): RouteTable {
  return publicRoutes(backend, openApiRoute(healthRoutes(readiness, metrics)));
}
