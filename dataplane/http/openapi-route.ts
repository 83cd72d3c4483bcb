// The public API's contract, openapi.yaml at the repository root, served as
// JSON at GET /api/openapi.json. The YAML is read and converted once, when
// the routes are built, so a missing or broken file stops the process at start.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { load } from 'js-yaml';
import { RouteTable } from './route-table.js';

/** dist/dataplane/http/ → the repository (or image) root. */
export const OPENAPI_FILE = resolve(dirname(fileURLToPath(import.meta.url)), '../../../openapi.yaml');
export const OPENAPI_ROUTE = '/api/openapi.json';

/** The parts of an OpenAPI document the code and its tests read. */
export interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, unknown>>;
  components: { schemas: Record<string, Record<string, unknown>> };
}

export function loadOpenApi(file = OPENAPI_FILE): OpenApiDocument {
  const document = load(readFileSync(file, 'utf8')) as Partial<OpenApiDocument> | null;
  if (typeof document?.openapi !== 'string' || typeof document.paths !== 'object') {
    throw new Error(`${file} is not an OpenAPI document`);
  }
  return document as OpenApiDocument;
}

export function openApiRoute(router = new RouteTable(), document = loadOpenApi()): RouteTable {
  const json = JSON.stringify(document);
  router.get(OPENAPI_ROUTE, (ctx) => {
    ctx.type = 'application/json; charset=utf-8';
    ctx.body = json;
  });
  return router;
}
