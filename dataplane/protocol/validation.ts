// Checks on caller input. Pure: each returns the clean value or throws a
// CacheError that says exactly what is wrong.
import { BadRequestError, PayloadTooLargeError } from './errors.js';
import { MAX_BATCH_KEYS, MAX_KEY_BYTES, MAX_TTL_SECONDS, MAX_VALUE_BYTES } from './limits.js';

export function validateKey(key: unknown): string {
  if (typeof key !== 'string') throw new BadRequestError('key must be a string');
  if (key.length === 0) throw new BadRequestError('key must not be empty');
  const bytes = Buffer.byteLength(key, 'utf8');
  if (bytes > MAX_KEY_BYTES) throw new BadRequestError(`key is ${bytes} bytes; the limit is ${MAX_KEY_BYTES}`);
  return key;
}

export function validateValue(value: unknown): string {
  if (typeof value !== 'string') throw new BadRequestError('value must be a string');
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes > MAX_VALUE_BYTES) throw new PayloadTooLargeError(`value is ${bytes} bytes; the limit is ${MAX_VALUE_BYTES}`);
  return value;
}

/** A TTL in a JSON body: whole seconds as a number; null or absent means no expiry. */
export function validateTtl(ttl: unknown): number | undefined {
  if (ttl === undefined || ttl === null) return undefined;
  if (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl < 1 || ttl > MAX_TTL_SECONDS) {
    throw new BadRequestError(`ttl must be a whole number of seconds from 1 to ${MAX_TTL_SECONDS}`);
  }
  return ttl;
}

/** A TTL in a query string: digits only. An empty `ttl=` is refused, not read as "no expiry". */
export function parseQueryTtl(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  return validateTtl(/^\d+$/.test(text) ? Number(text) : Number.NaN);
}

/** Decodes a percent-encoded key taken from a URL path. */
export function decodePathKey(encoded: string): string {
  let key: string;
  try {
    key = decodeURIComponent(encoded);
  } catch {
    throw new BadRequestError('key is not valid percent-encoded UTF-8');
  }
  return validateKey(key);
}

export function validateBatchSize(count: number, what: string): void {
  if (count === 0) throw new BadRequestError(`${what} must not be empty`);
  if (count > MAX_BATCH_KEYS) throw new BadRequestError(`${what} has ${count} items; the limit is ${MAX_BATCH_KEYS}`);
}

/** Query parameters may repeat (`?key=a&key=b`); the API takes exactly one. */
export function singleParam(value: string | string[] | undefined, name: string): string | undefined {
  if (Array.isArray(value)) throw new BadRequestError(`${name} must be given once`);
  return value;
}
