// What the traffic and the checks of test/support/traffic.ts drive: a router
// over HTTP, or a smart client (client/) in this process. Both answer the
// same four calls, so one scenario checks either path.
import { CacheClientError, type CacheClient } from '../../client/src/index.js';
import { call } from './http.js';

export type WriteOutcome = { ok: true } | { ok: false; problem: string };
export type ReadOutcome = { found: true; value: string } | { found: false } | { failed: string };

export interface KeyValueTarget {
  /** A failure to reach the target at all may also throw. */
  put(key: string, value: string, signal?: AbortSignal): Promise<WriteOutcome>;
  get(key: string, signal?: AbortSignal): Promise<ReadOutcome>;
  /** Throws unless every entry was stored. */
  mset(entries: ReadonlyArray<{ key: string; value: string }>): Promise<void>;
  /** Throws unless every key was read. */
  mget(keys: readonly string[]): Promise<Map<string, string | undefined>>;
}

/** A router (or a server's own public API) at `baseUrl`. */
export function routerTarget(baseUrl: string): KeyValueTarget {
  return {
    async put(key, value, signal) {
      const answer = await call(`${baseUrl}/api/keys/${encodeURIComponent(key)}`, { method: 'PUT', body: value, ...(signal ? { signal } : {}) });
      return answer.status === 204 ? { ok: true } : { ok: false, problem: `${answer.status} ${answer.text}` };
    },
    async get(key, signal) {
      const answer = await call(`${baseUrl}/api/get/${encodeURIComponent(key)}`, signal ? { signal } : {});
      if (answer.status === 200) return { found: true, value: answer.text };
      if (answer.status === 404) return { found: false };
      return { failed: `${answer.status} ${answer.text}` };
    },
    async mset(entries) {
      const answer = await call(`${baseUrl}/api/mset`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ entries }),
      });
      if (answer.status !== 200) throw new Error(`mset failed: ${answer.status} ${answer.text}`);
    },
    async mget(keys) {
      const answer = await call(`${baseUrl}/api/mget`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ keys }),
      });
      if (answer.status !== 200) throw new Error(`mget failed: ${answer.status} ${answer.text}`);
      const { values } = answer.json() as { values: Record<string, string | null> };
      return new Map(keys.map((key) => [key, values[key] ?? undefined]));
    },
  };
}

/** A smart client: its typed errors are the failures a router answers with a status. */
export function smartClientTarget(client: CacheClient): KeyValueTarget {
  const problem = (error: unknown): string => {
    if (error instanceof CacheClientError) return `${error.kind}: ${error.message}`;
    throw error;
  };
  return {
    async put(key, value) {
      try {
        await client.set(key, value);
        return { ok: true };
      } catch (error) {
        return { ok: false, problem: problem(error) };
      }
    },
    async get(key) {
      try {
        const value = await client.get(key);
        return value === undefined ? { found: false } : { found: true, value };
      } catch (error) {
        return { failed: problem(error) };
      }
    },
    mset: (entries) => client.mset(entries),
    mget: (keys) => client.mget(keys),
  };
}

/** A router's base URL stands for the router. */
export function asTarget(target: string | KeyValueTarget): KeyValueTarget {
  return typeof target === 'string' ? routerTarget(target) : target;
}
