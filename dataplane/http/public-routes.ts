// The public cache API (its contract: README, "HTTP API"), over any CacheBackend.
import { RouteTable } from './route-table.js';
import type { Context } from 'koa';
import type { CacheBackend, WriteRequest } from '../api/backend.js';
import { hasBody, readJson, readText } from './body.js';
import { BadRequestError, KeyNotFoundError } from '../protocol/errors.js';
import { MAX_VALUE_BYTES } from '../protocol/limits.js';
import {
  decodePathKey, parseQueryTtl, singleParam, validateBatchSize, validateKey, validateTtl, validateValue,
} from '../protocol/validation.js';

/** The prototype's exact answer to a write; its clients compare against it. */
export const LEGACY_WRITE_ACK = 'Key-Value pair added successfully';

const GET_PREFIX = '/api/get/';
const KEYS_PREFIX = '/api/keys/';

/** The key from the raw (still percent-encoded) path, decoded strictly. */
function pathKey(ctx: Context, prefix: string): string {
  return decodePathKey(ctx.path.slice(prefix.length));
}

function sendValue(ctx: Context, value: string): void {
  ctx.type = 'text/plain; charset=utf-8';
  ctx.body = value;
}

function writeFromObject(raw: unknown, where: string): WriteRequest {
  if (typeof raw !== 'object' || raw === null) throw new BadRequestError(`${where} must be an object with key and value`);
  const { key, value, ttl } = raw as Record<string, unknown>;
  return { key: validateKey(key), value: validateValue(value), ttlSeconds: validateTtl(ttl) };
}

async function legacyWrite(ctx: Context): Promise<WriteRequest> {
  const query = ctx.query;
  const key = singleParam(query.key, 'key');
  if (key !== undefined) {
    // A body beside a query key would be ignored; say so rather than store half of what was sent.
    if (hasBody(ctx.req)) throw new BadRequestError('give the entry in the query or in a JSON body, not both');
    const value = singleParam(query.value, 'value');
    if (value === undefined) throw new BadRequestError('value is required: POST /api/post?key=K&value=V');
    return { key: validateKey(key), value: validateValue(value), ttlSeconds: parseQueryTtl(singleParam(query.ttl, 'ttl')) };
  }
  // Ignoring them would store a value the caller did not send, or without the TTL it asked for.
  if (query.value !== undefined || query.ttl !== undefined) throw new BadRequestError('key is required with value or ttl in the query: POST /api/post?key=K&value=V[&ttl=S]');
  if (!ctx.get('content-type')) throw new BadRequestError('key is required: POST /api/post?key=K&value=V, or a JSON body {"key","value","ttl"}');
  return writeFromObject(await readJson(ctx), 'body');
}

export function publicRoutes(backend: CacheBackend, router = new RouteTable()): RouteTable {

  const readOne = async (ctx: Context, prefix: string): Promise<void> => {
    const key = pathKey(ctx, prefix);
    const [value] = await backend.getMany([key]);
    if (value === undefined) throw new KeyNotFoundError(key);
    sendValue(ctx, value);
  };

  // The prototype's API, kept byte for byte.
  router.get('/api/get/:key', (ctx) => readOne(ctx, GET_PREFIX));
  router.post('/api/post', async (ctx) => {
    await backend.setMany([await legacyWrite(ctx)]);
    ctx.type = 'text/plain; charset=utf-8';
    ctx.body = LEGACY_WRITE_ACK;
  });

  // REST form.
  router.get('/api/keys/:key', (ctx) => readOne(ctx, KEYS_PREFIX));
  router.put('/api/keys/:key', async (ctx) => {
    const key = pathKey(ctx, KEYS_PREFIX);
    const ttlSeconds = parseQueryTtl(singleParam(ctx.query.ttl, 'ttl'));
    const value = await readText(ctx, MAX_VALUE_BYTES);
    await backend.setMany([{ key, value, ttlSeconds }]);
    ctx.status = 204;
  });
  router.delete('/api/keys/:key', async (ctx) => {
    const key = pathKey(ctx, KEYS_PREFIX);
    if (!(await backend.delete(key))) throw new KeyNotFoundError(key);
    ctx.status = 204;
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
