// A thin, typed client for the few Kubernetes calls the operator makes. It
// takes credentials from @kubernetes/client-node's KubeConfig (kubeconfig
// files, in-cluster tokens that rotate) and keeps objects in their wire form,
// which is what server-side apply sends and what drift checks compare.
import * as http from 'node:http';
import * as https from 'node:https';
import { createInterface } from 'node:readline';
import type { KubeConfig } from '@kubernetes/client-node';
import type { ExplainedFailure } from '../reconcile/ports.js';
import { FIELD_MANAGER } from '../resources/names.js';
import { resourcePath, resourceTypeOf, type ResourceType } from './resource-types.js';

export interface ObjectMetadata {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: Array<{ apiVersion: string; kind: string; name: string; uid: string; controller?: boolean }>;
  deletionTimestamp?: string;
  creationTimestamp?: string;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMetadata;
}

export interface ObjectList<T> {
  items: T[];
  metadata: { resourceVersion?: string; continue?: string };
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
export interface WatchEvent<T> {
  type: WatchEventType;
  object: T;
}

/** A Status the API server answered with: `code` is the HTTP status, `reason` its CamelCase word. */
export class KubeApiError extends Error implements ExplainedFailure {
  constructor(
    readonly code: number,
    readonly reason: string,
    /** The API server's message alone, as a person should read it (it names the object). */
    readonly detail: string,
    readonly verb: string,
    readonly path: string,
  ) {
    super(`${verb} ${path}: ${code} ${reason}: ${detail}`);
    this.name = 'KubeApiError';
  }
}

export const isNotFound = (error: unknown): boolean => error instanceof KubeApiError && error.code === 404;
export const isConflict = (error: unknown): boolean => error instanceof KubeApiError && error.code === 409;
export const isGone = (error: unknown): boolean => error instanceof KubeApiError && error.code === 410;

interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  timeoutMs?: number;
}

/** Called after every request; the operator counts them in its metrics. */
export type RequestObserver = (verb: string, resource: string, code: number) => void;

const REQUEST_TIMEOUT_MS = 30_000;
/** How long past its timeoutSeconds a watch may run before the client gives up on it. */
const WATCH_GRACE_SECONDS = 30;

export class KubeClient {
  private agent: http.Agent | undefined;
  private readonly server: URL;
  observer: RequestObserver | undefined;

  constructor(private readonly kubeConfig: KubeConfig) {
    const cluster = kubeConfig.getCurrentCluster();
    if (cluster === null) throw new Error('the kubeconfig names no current cluster');
    this.server = new URL(cluster.server);
  }

  /** Credentials are read on every call, so rotated tokens are picked up; connections are reused. */
  private async connection(): Promise<{ agent: http.Agent; headers: http.OutgoingHttpHeaders }> {
    const options: https.RequestOptions = {};
    await this.kubeConfig.applyToHTTPSOptions(options);
    if (this.agent === undefined) {
      this.agent =
        this.server.protocol === 'https:'
          ? new https.Agent({
              keepAlive: true,
              ...(options.ca !== undefined ? { ca: options.ca } : {}),
              ...(options.cert !== undefined ? { cert: options.cert } : {}),
              ...(options.key !== undefined ? { key: options.key } : {}),
              ...(options.rejectUnauthorized !== undefined ? { rejectUnauthorized: options.rejectUnauthorized } : {}),
              ...(options.servername !== undefined ? { servername: options.servername } : {}),
            })
          : new http.Agent({ keepAlive: true });
    }
    // KubeConfig fills in a plain header object (an Authorization header for token users).
    const headers: http.OutgoingHttpHeaders = { ...((options.headers as http.OutgoingHttpHeaders | undefined) ?? {}) };
    if (typeof options.auth === 'string') headers['authorization'] = `Basic ${Buffer.from(options.auth).toString('base64')}`;
    return { agent: this.agent, headers };
  }

  private url(path: string, query: RequestOptions['query']): URL {
    const url = new URL(this.server.href.replace(/\/$/, '') + path);
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    return url;
  }

  private async open(method: string, path: string, options: RequestOptions): Promise<http.IncomingMessage> {
    const { agent, headers } = await this.connection();
    const url = this.url(path, options.query);
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    const transport = url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const request = transport.request(url, {
        method,
        agent,
        headers: {
          ...headers,
          accept: 'application/json',
          ...(body !== undefined ? { 'content-type': options.contentType ?? 'application/json', 'content-length': Buffer.byteLength(body) } : {}),
        },
      });
      if (options.timeoutMs !== undefined) {
        request.setTimeout(options.timeoutMs, () => request.destroy(new Error(`${method} ${path}: no answer in ${options.timeoutMs} ms`)));
      }
      request.on('response', resolve);
      request.on('error', reject);
      request.end(body);
    });
  }

  private async failure(method: string, path: string, response: http.IncomingMessage): Promise<KubeApiError> {
    const text = await readAll(response);
    let reason = http.STATUS_CODES[response.statusCode ?? 0] ?? 'Unknown';
    let message = text.trim();
    try {
      const status = JSON.parse(text) as { reason?: string; message?: string };
      reason = status.reason ?? reason;
      message = status.message ?? message;
    } catch {
      // Not a Status: keep the body as the message.
    }
    return new KubeApiError(response.statusCode ?? 0, reason, message, method, path);
  }

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    return (await this.send<T>(method, path, options)).body;
  }

  private async send<T>(method: string, path: string, options: RequestOptions): Promise<{ code: number; body: T }> {
    const response = await this.open(method, path, { timeoutMs: REQUEST_TIMEOUT_MS, ...options });
    const code = response.statusCode ?? 0;
    this.observer?.(method, resourceOf(path), code);
    if (code < 200 || code >= 300) throw await this.failure(method, path, response);
    const text = await readAll(response);
    return { code, body: (text === '' ? undefined : JSON.parse(text)) as T };
  }

  list<T>(type: ResourceType, options: { namespace?: string; labelSelector?: string } = {}): Promise<ObjectList<T>> {
    return this.request('GET', resourcePath(type, options.namespace), { query: { labelSelector: options.labelSelector } });
  }

  async get<T>(type: ResourceType, namespace: string | undefined, name: string): Promise<T | undefined> {
    try {
      return await this.request<T>('GET', resourcePath(type, namespace, name));
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /** `dryRun`: the API server checks the create, existence included, and stores nothing. */
  create<T>(type: ResourceType, namespace: string | undefined, body: unknown, { dryRun = false } = {}): Promise<T> {
    return this.request('POST', resourcePath(type, namespace), { body, query: { fieldManager: FIELD_MANAGER, dryRun: dryRun ? 'All' : undefined } });
  }

  replace<T>(type: ResourceType, namespace: string | undefined, name: string, body: unknown): Promise<T> {
    return this.request('PUT', resourcePath(type, namespace, name), { body, query: { fieldManager: FIELD_MANAGER } });
  }

  /**
   * Server-side apply as the operator's one field manager, with force: the
   * operator's fields are its own, whoever edited them since.
   */
  async apply<T extends KubeObject>(object: KubeObject, subresource?: 'status'): Promise<{ object: T; created: boolean }> {
    const type = resourceTypeOf(object);
    const { code, body } = await this.send<T>('PATCH', resourcePath(type, object.metadata.namespace, object.metadata.name, subresource), {
      body: object,
      // JSON is YAML, so an apply patch may be sent as JSON.
      contentType: 'application/apply-patch+yaml',
      query: { fieldManager: FIELD_MANAGER, force: true },
    });
    return { object: body, created: code === 201 };
  }

  /** Deletes in the background (the garbage collector removes dependents); a missing object is fine. */
  async delete(type: ResourceType, namespace: string | undefined, name: string, uid?: string): Promise<void> {
    try {
      await this.request('DELETE', resourcePath(type, namespace, name), {
        body: { propagationPolicy: 'Background', ...(uid !== undefined ? { preconditions: { uid } } : {}) },
      });
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }

  /**
   * Streams watch events until the server ends the watch (after
   * timeoutSeconds) or `signal` aborts. Rejects on HTTP errors and broken
   * streams, with KubeApiError 410 when the resourceVersion is too old.
   */
  async watch<T>(
    type: ResourceType,
    options: { namespace?: string; labelSelector?: string; resourceVersion: string; timeoutSeconds: number },
    onEvent: (event: WatchEvent<T>) => void,
    signal: AbortSignal,
  ): Promise<void> {
    const path = resourcePath(type, options.namespace);
    const response = await this.open('GET', path, {
      query: {
        watch: true,
        allowWatchBookmarks: true,
        resourceVersion: options.resourceVersion,
        timeoutSeconds: options.timeoutSeconds,
        labelSelector: options.labelSelector,
      },
    });
    if (response.statusCode !== 200) throw await this.failure('WATCH', path, response);
    await new Promise<void>((resolve, reject) => {
      let finished = false;
      // A connection that died without a word would otherwise hold the informer forever.
      const watchdog = setTimeout(
        () => finish(new Error(`WATCH ${path}: no end after ${options.timeoutSeconds} s`)),
        (options.timeoutSeconds + WATCH_GRACE_SECONDS) * 1000,
      );
      const finish = (error?: unknown): void => {
        if (finished) return;
        finished = true;
        clearTimeout(watchdog);
        signal.removeEventListener('abort', onAbort);
        if (error === undefined) resolve();
        else {
          response.destroy();
          reject(error);
        }
      };
      const onAbort = (): void => {
        response.destroy();
        finish();
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      const lines = createInterface({ input: response, crlfDelay: Infinity });
      lines.on('line', (line) => {
        if (finished || line.trim() === '') return;
        let event: WatchEvent<T>;
        try {
          event = JSON.parse(line) as WatchEvent<T>;
        } catch (error) {
          return finish(error);
        }
        if (event.type === 'ERROR') {
          const status = event.object as { code?: number; reason?: string; message?: string };
          return finish(new KubeApiError(status.code ?? 500, status.reason ?? 'WatchError', status.message ?? '', 'WATCH', path));
        }
        onEvent(event);
      });
      response.on('error', (error) => finish(error));
      // The server ends a watch after timeoutSeconds; a cut connection ends it too, and the informer simply watches again.
      response.on('close', () => finish());
    });
  }

  /** Closes idle keep-alive connections (on shutdown). */
  close(): void {
    this.agent?.destroy();
  }
}

function readAll(response: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => (text += chunk));
    response.on('end', () => resolve(text));
    response.on('error', reject);
  });
}

/** `deployments` from `/apis/apps/v1/namespaces/x/deployments/y`: the metric label. */
function resourceOf(path: string): string {
  const parts = path.split('/').filter((part) => part !== '');
  const start = parts[0] === 'api' ? 2 : 3;
  const rest = parts.slice(start);
  const index = rest[0] === 'namespaces' && rest.length > 2 ? 2 : 0;
  const subresource = rest.length > index + 2 ? `/${rest[index + 2]}` : '';
  return `${rest[index] ?? ''}${subresource}`;
}
