// The router's link to one cache server. Requests bound for the same server
// within one event-loop turn are coalesced into one internal batch call over a
// small pool of keep-alive connections; each caller still gets its own result.
import { Pool } from 'undici';
import { INTERNAL_BATCH_PATH, type BatchOp, type BatchResult } from '../protocol/internal-batch.js';
import type { ClusterCredential } from '../security/cluster-credential.js';

/** Ops per internal call: enough to amortise the hop, small enough to keep latency flat. */
export const MAX_OPS_PER_BATCH = 256;
/** Approximate value bytes per internal call, so a batch of large values stays a modest body. */
export const MAX_BATCH_VALUE_BYTES = 4 * 1024 * 1024;
/** Connections kept open to each server. */
export const CONNECTIONS_PER_SERVER = 4;
/** How long a server may take to answer one batch before the router gives up on it. */
export const UPSTREAM_TIMEOUT_MS = 5000;
/**
 * How long a connection to a server may take. Short: in a cluster a pod that
 * has gone answers nothing at all (its address is simply no longer there),
 * and every read that still asks it, such as a read while it is departing,
 * would otherwise wait the HTTP client's default of 10 s.
 */
export const UPSTREAM_CONNECT_TIMEOUT_MS = 1000;

/** A server did not answer a batch: refused, timed out, or answered with an error (`status`, when it answered). */
export class UpstreamError extends Error {
  constructor(readonly address: string, detail: string, readonly status?: number) {
    super(`server ${address}: ${detail}`);
    this.name = 'UpstreamError';
  }
}

const BATCH_CONTENT_TYPE = 'application/json';

export interface RawAnswer {
  status: number;
  body: Buffer;
}

interface PendingOp {
  op: BatchOp;
  resolve: (result: BatchResult) => void;
  reject: (error: Error) => void;
}

/** How many of the pending ops fit in one call (always at least one). */
function batchLength(pending: readonly PendingOp[]): number {
  let bytes = 0;
  let count = 0;
  for (const { op } of pending) {
    bytes += op.key.length + (op.op === 'put' && op.value !== null ? op.value.length : 0);
    if (count > 0 && (count >= MAX_OPS_PER_BATCH || bytes > MAX_BATCH_VALUE_BYTES)) break;
    count++;
  }
  return count;
}

export class ServerChannel {
  private readonly pool: Pool;
  private readonly origin: string;
  private pending: PendingOp[] = [];
  private flushScheduled = false;

  /** With `coalesce` off every op travels alone (for measuring what coalescing buys). */
  constructor(readonly address: string, private readonly credential: ClusterCredential, private readonly coalesce = true) {
    this.origin = `http://${address}`;
    this.pool = new Pool(this.origin, {
      connections: CONNECTIONS_PER_SERVER,
      connectTimeout: UPSTREAM_CONNECT_TIMEOUT_MS,
      headersTimeout: UPSTREAM_TIMEOUT_MS,
      bodyTimeout: UPSTREAM_TIMEOUT_MS,
      keepAliveTimeout: 30_000,
    });
  }

  send(op: BatchOp): Promise<BatchResult> {
    return new Promise((resolve, reject) => {
      this.pending.push({ op, resolve, reject });
      if (this.pending.length >= MAX_OPS_PER_BATCH || !this.coalesce) {
        this.flush();
      } else if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.flushScheduled = false;
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, batchLength(this.pending));
      this.call(batch).then(
        (results) => batch.forEach((p, i) => p.resolve(results[i] as BatchResult)),
        (error: Error) => batch.forEach((p) => p.reject(error)),
      );
    }
  }

  private async call(batch: readonly PendingOp[]): Promise<BatchResult[]> {
    let response: RawAnswer;
    try {
      const body = JSON.stringify({ ops: batch.map((p) => p.op) });
      response = await this.credential.send((token) => this.post(body, token), (answer) => answer.status);
    } catch (error) {
      throw new UpstreamError(this.address, (error as Error).message);
    }
    let body: { results?: unknown; error?: unknown };
    try {
      body = JSON.parse(response.body.toString('utf8')) as typeof body;
    } catch (error) {
      throw new UpstreamError(this.address, `unreadable answer (${(error as Error).message})`);
    }
    if (response.status !== 200) {
      throw new UpstreamError(this.address, `answered ${response.status}: ${String(body.error ?? '')}`, response.status);
    }
    if (!Array.isArray(body.results) || body.results.length !== batch.length) {
      throw new UpstreamError(this.address, 'answered a batch of the wrong length');
    }
    return body.results as BatchResult[];
  }

  /** One JSON POST of another internal route over the same connections (a hand-off offer). */
  postJson(path: string, body: string): Promise<RawAnswer> {
    return this.credential.send((token) => this.post(body, token, path), (answer) => answer.status);
  }

  /**
   * One POST of the batch route, collected into a buffer by a bare dispatch
   * handler: undici's request() wraps every answer in a stream and a promise
   * chain, which is most of its cost for bodies this small.
   */
  private post(body: string, token: Readonly<Record<string, string>>, path = INTERNAL_BATCH_PATH): Promise<RawAnswer> {
    return new Promise((resolve, reject) => {
      let status = 0;
      const chunks: Buffer[] = [];
      this.pool.dispatch(
        { origin: this.origin, path, method: 'POST', headers: { ...token, 'content-type': BATCH_CONTENT_TYPE }, body },
        {
          // undici recognises this handler API by onRequestStart.
          onRequestStart: () => undefined,
          onResponseStart: (_controller, statusCode) => {
            status = statusCode;
          },
          onResponseData: (_controller, chunk) => {
            chunks.push(chunk);
          },
          onResponseEnd: () => resolve({ status, body: chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks) }),
          onResponseError: (_controller, error) => reject(error),
        },
      );
    });
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}
