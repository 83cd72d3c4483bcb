// The ways a history's op reaches the cache: a router over HTTP, or a smart
// client (client/) in this process. Each answers with what the history
// records: a value or its absence, whether a delete found a value, or a
// failure (a write with no definite answer).
import { CacheClientError, type CacheClient } from '../../client/src/index.js';

export type HistoryAnswer =
  | { found: true; value: string }
  | { found: false }
  | { existed: boolean }
  | { stored: true }
  | { failed: string };

export interface HistoryWriter {
  name: string;
  run(kind: 'get' | 'put' | 'del', key: string, value: string, timeoutMs: number): Promise<HistoryAnswer>;
}

/** A router at `base`: the prototype's routes for get and put, and DELETE /api/keys. */
export function routerWriter(base: string): HistoryWriter {
  return {
    name: base,
    async run(kind, key, value, timeoutMs) {
      const url =
        kind === 'get' ? `${base}/api/get/${encodeURIComponent(key)}`
        : kind === 'put' ? `${base}/api/post?key=${encodeURIComponent(key)}&value=${value}`
        : `${base}/api/keys/${encodeURIComponent(key)}`;
      const method = kind === 'get' ? 'GET' : kind === 'put' ? 'POST' : 'DELETE';
      let status = 0;
      let body = '';
      try {
        const response = await fetch(url, { method, signal: AbortSignal.timeout(timeoutMs) });
        body = await response.text();
        status = response.status;
      } catch (error) {
        body = (error as Error).message;
      }
      if (kind === 'get' && status === 200) return { found: true, value: body };
      if (kind === 'get' && status === 404) return { found: false };
      if (kind === 'put' && status === 200) return { stored: true };
      if (kind === 'del' && (status === 204 || status === 404)) return { existed: status === 204 };
      return { failed: `${status} ${body}` };
    },
  };
}

/** A smart client; a call that did not answer within `timeoutMs` counts as failed (it may still take effect). */
export function smartClientWriter(client: CacheClient, name: string): HistoryWriter {
  return {
    name,
    async run(kind, key, value, timeoutMs) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<HistoryAnswer>((resolve) => {
        timer = setTimeout(() => resolve({ failed: `no answer within ${timeoutMs} ms` }), timeoutMs);
      });
      const answer = async (): Promise<HistoryAnswer> => {
        try {
          if (kind === 'get') {
            const found = await client.get(key);
            return found === undefined ? { found: false } : { found: true, value: found };
          }
          if (kind === 'put') {
            await client.set(key, value);
            return { stored: true };
          }
          return { existed: await client.delete(key) };
        } catch (error) {
          if (error instanceof CacheClientError) return { failed: `${error.kind}: ${error.message}` };
          throw error;
        }
      };
      try {
        return await Promise.race([answer(), timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
