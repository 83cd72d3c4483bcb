// The public cache API (its contract: README, "HTTP API"), over any CacheBackend.
// The single-key routes are plain routes (route-table.ts), which the direct
// routes serve outside Koa: they are most of the traffic (docs/architecture.md,
// "The hot path", has what that saves).
import { RouteTable, type PlainAnswer, type PlainRequest } from './route-table.js';
import type { CacheBackend, WriteRequest } from '../api/backend.js';
import { hasBody, readJson, readRequestJson, readRequestText } from './body.js';
import { BadRequestError, KeyNotFoundError } from '../protocol/errors.js';
import { MAX_VALUE_BYTES } from '../protocol/limits.js';
import {
  decodePathKey, parseQueryTtl, singleParam, validateBatchSize, validateKey, validateTtl, validateValue,
} from '../protocol/validation.js';

/** The prototype's exact answer to a write; its clients compare against it. */
export const LEGACY_WRITE_ACK = 'Key-Value pair added successfully';

const GET_PREFIX = '/api/get/';
const KEYS_PREFIX = '/api/keys/';

const TEXT_TYPE = 'text/plain; charset=utf-8';
const NO_CONTENT: PlainAnswer = { status: 204 };
const WRITE_ACK: PlainAnswer = { status: 200, type: TEXT_TYPE, body: LEGACY_WRITE_ACK };

/** The key from the raw (still percent-encoded) path, decoded strictly. */
function pathKey(request: PlainRequest, prefix: string): string {
  return decodePathKey(request.path.slice(prefix.length));
}

/** One query parameter; a repeated one is refused (singleParam). */
function queryParam(query: URLSearchParams, name: string): string | undefined {
  const values = query.getAll(name);
  return singleParam(values.length > 1 ? values : values[0], name);
}

function writeFromObject(raw: unknown, where: string): WriteRequest {
  if (typeof raw !== 'object' || raw === null) throw new BadRequestError(`${where} must be an object with key and value`);
  const { key, value, ttl } = raw as Record<string, unknown>;
  return { key: validateKey(key), value: validateValue(value), ttlSeconds: validateTtl(ttl) };
}

async function legacyWrite({ req, querystring }: PlainRequest): Promise<WriteRequest> {
  const query = new URLSearchParams(querystring);
  const key = queryParam(query, 'key');
  if (key !== undefined) {
    // A body beside a query key would be ignored; say so rather than store half of what was sent.
    if (hasBody(req)) throw new BadRequestError('give the entry in the query or in a JSON body, not both');
    const value = queryParam(query, 'value');
    if (value === undefined) throw new BadRequestError('value is required: POST /api/post?key=K&value=V');
    return { key: validateKey(key), value: validateValue(value), ttlSeconds: parseQueryTtl(queryParam(query, 'ttl')) };
  }
  // Ignoring them would store a value the caller did not send, or without the TTL it asked for.
  if (query.has('value') || query.has('ttl')) throw new BadRequestError('key is required with value or ttl in the query: POST /api/post?key=K&value=V[&ttl=S]');
  if (!req.headers['content-type']) throw new BadRequestError('key is required: POST /api/post?key=K&value=V, or a JSON body {"key","value","ttl"}');
  return writeFromObject(await readRequestJson(req), 'body');
}

export function publicRoutes(backend: CacheBackend, router = new RouteTable()): RouteTable {

  const readOne = async (request: PlainRequest, prefix: string): Promise<PlainAnswer> => {
    const key = pathKey(request, prefix);
    const [value] = await backend.getMany([key]);
    if (value === undefined) throw new KeyNotFoundError(key);
    return { status: 200, type: TEXT_TYPE, body: value };
  };

  // The prototype's API, kept byte for byte.
  router.plain('GET', '/api/get/:key', (request) => readOne(request, GET_PREFIX));
  router.plain('POST', '/api/post', async (request) => {
    await backend.setMany([await legacyWrite(request)]);
    return WRITE_ACK;
  });

  // REST form.
  router.plain('GET', '/api/keys/:key', (request) => readOne(request, KEYS_PREFIX));
  router.plain('PUT', '/api/keys/:key', async (request) => {
    const key = pathKey(request, KEYS_PREFIX);
    const ttlSeconds = parseQueryTtl(queryParam(new URLSearchParams(request.querystring), 'ttl'));
    const value = await readRequestText(request.req, MAX_VALUE_BYTES);
    await backend.setMany([{ key, value, ttlSeconds }]);
    return NO_CONTENT;
  });
  router.plain('DELETE', '/api/keys/:key', async (request) => {
    const key = pathKey(request, KEYS_PREFIX);
    if (!(await backend.delete(key))) throw new KeyNotFoundError(key);
    return NO_CONTENT;
  });

  // Batch forms.
  router.post('/api/mget', async (ctx) => {
    const keys = ((await readJson(ctx)) as { keys?: unknown } | null)?.keys;
    if (!Array.isArray(keys)) throw new BadRequestError('body must be {"keys": [...]}');
    validateBatchSize(keys.length, 'keys');
    const valid = keys.map((key, i) => {
      try {
        return validateKey(key);
      } catch (error) {
        throw new BadRequestError(`keys[${i}]: ${(error as Error).message}`);
      }
    });
    const values = await backend.getMany(valid);
    // A Map keeps keys like "__proto__" as plain data when serialised.
    ctx.body = { values: Object.fromEntries(new Map(valid.map((key, i) => [key, values[i] ?? null]))) };
  });
  router.post('/api/mset', async (ctx) => {
    const entries = ((await readJson(ctx)) as { entries?: unknown } | null)?.entries;
    if (!Array.isArray(entries)) throw new BadRequestError('body must be {"entries": [{"key", "value", "ttl"}, ...]}');
    validateBatchSize(entries.length, 'entries');
    const writes = entries.map((entry, i) => writeFromObject(entry, `entries[${i}]`));
    await backend.setMany(writes);
    ctx.body = { stored: writes.length };
  });

  router.get('/api/ring', (ctx) => {
    ctx.body = backend.describeRing();
  });

  // A key-less path is a request with an empty key, not an unknown route.
  for (const prefix of [GET_PREFIX, KEYS_PREFIX]) {
    router.all(prefix, () => {
      throw new BadRequestError('key must not be empty');
    });
  }
  return router;
}
