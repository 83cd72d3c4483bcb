// An informer: a local copy of one kind of object (in one namespace, or all),
// kept current by list-then-watch, that tells its listeners what changed.
// Listeners only enqueue keys; the logic lives in reconcile.
//
// client-node's makeInformer (ListWatch) is not used: it asks for no watch
// bookmarks, so a quiet watch comes back with an expired resourceVersion and
// lists everything again, and after a failed list or watch it stops and leaves
// the retry to its caller (kubernetes-client/javascript#836, #1933). This loop
// does those with backoff; the requests themselves are the library's
// (KubeClient.list and KubeClient.watch).
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { isGone } from '../kube/api-error.js';
import type { KubeClient, KubeObject, WatchEvent } from '../kube/client.js';
import type { ResourceType } from '../kube/resource-types.js';

export type InformerEvent = 'added' | 'modified' | 'deleted';
export type InformerListener<T> = (event: InformerEvent, object: T) => void;

export interface InformerOptions {
  client: KubeClient;
  type: ResourceType;
  /** Undefined: every namespace. */
  namespace?: string;
  labelSelector?: string;
  logger: Logger;
  /**
   * Told of each failed list or watch, before the retry. A kind whose CRD may
   * go away (PodMonitors) uses it to ask discovery whether it still exists.
   */
  onFailure?: (error: unknown) => void;
}

const WATCH_TIMEOUT_SECONDS = 300;
const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 30_000;

const keyOf = (object: KubeObject): string => `${object.metadata.namespace ?? ''}/${object.metadata.name}`;

export class Informer<T extends KubeObject> {
  private readonly store = new Map<string, T>();
  private readonly listeners: Array<InformerListener<T>> = [];
  private resourceVersion = '';
  private readonly abort = new AbortController();
  private running: Promise<void> | undefined;
  private hasSynced = false;

  constructor(private readonly options: InformerOptions) {}

  onChange(listener: InformerListener<T>): void {
    this.listeners.push(listener);
  }

  get synced(): boolean {
    return this.hasSynced;
  }

  get(namespace: string, name: string): T | undefined {
    return this.store.get(`${namespace}/${name}`);
  }

  list(namespace?: string): T[] {
    const all = [...this.store.values()];
    return namespace === undefined ? all : all.filter((object) => object.metadata.namespace === namespace);
  }

  /** Lists (retrying until that works), then watches in the background. Resolves once the copy is complete. */
  async start(): Promise<void> {
    let delay = RETRY_MIN_MS;
    while (!this.abort.signal.aborted) {
      try {
        await this.relist();
        break;
      } catch (error) {
        if (this.abort.signal.aborted) break;
        this.options.logger.warn({ err: error, resource: this.options.type.plural }, 'list failed; retrying');
        this.options.onFailure?.(error);
        await this.backOff(delay);
        delay = Math.min(delay * 2, RETRY_MAX_MS);
      }
    }
    // Stopped before any list worked: the copy is not complete, and there is nothing to watch.
    if (this.abort.signal.aborted) return;
    this.hasSynced = true;
    this.running = this.watchLoop();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.running;
  }

  private async watchLoop(): Promise<void> {
    const { client, type, namespace, labelSelector, logger } = this.options;
    let delay = RETRY_MIN_MS;
    while (!this.abort.signal.aborted) {
      try {
        if (this.resourceVersion === '') await this.relist();
        await client.watch<T>(
          type,
          {
            ...(namespace !== undefined ? { namespace } : {}),
            ...(labelSelector !== undefined ? { labelSelector } : {}),
            resourceVersion: this.resourceVersion,
            // Jittered so that the informers do not all reconnect at once.
            timeoutSeconds: WATCH_TIMEOUT_SECONDS + Math.floor(Math.random() * 60),
          },
          (event) => this.handle(event),
          this.abort.signal,
        );
        delay = RETRY_MIN_MS;
      } catch (error) {
        if (this.abort.signal.aborted) break;
        if (isGone(error)) {
          // Our resourceVersion is older than the server keeps: start over from a fresh list.
          logger.debug({ resource: type.plural }, 'watch expired; relisting');
          this.resourceVersion = '';
          continue;
        }
        logger.warn({ err: error, resource: type.plural, retryInMs: delay }, 'watch failed; retrying');
        this.options.onFailure?.(error);
        await this.backOff(delay);
        delay = Math.min(delay * 2, RETRY_MAX_MS);
      }
    }
  }

  /** Waits before a retry; stop() ends the wait early, and the loops then see the aborted signal. */
  private async backOff(ms: number): Promise<void> {
    await sleep(ms, undefined, { signal: this.abort.signal }).catch(() => undefined);
  }

  private handle(event: WatchEvent<T>): void {
    const object = event.object;
    if (event.type === 'BOOKMARK') {
      this.resourceVersion = object.metadata.resourceVersion ?? this.resourceVersion;
      return;
    }
    const key = keyOf(object);
    if (event.type === 'DELETED') {
      this.store.delete(key);
      this.emit('deleted', object);
    } else {
      const existed = this.store.has(key);
      this.store.set(key, object);
      this.emit(existed ? 'modified' : 'added', object);
    }
    this.resourceVersion = object.metadata.resourceVersion ?? this.resourceVersion;
  }

  /** Replaces the copy with a fresh list, telling listeners about every difference. */
  private async relist(): Promise<void> {
    const { client, type, namespace, labelSelector } = this.options;
    const list = await client.list<T>(type, {
      ...(namespace !== undefined ? { namespace } : {}),
      ...(labelSelector !== undefined ? { labelSelector } : {}),
    });
    const fresh = new Map(list.items.map((item) => [keyOf(item), { ...item, apiVersion: type.apiVersion, kind: type.kind }]));
    for (const [key, old] of this.store) {
      if (!fresh.has(key)) {
        this.store.delete(key);
        this.emit('deleted', old);
      }
    }
    for (const [key, item] of fresh) {
      const old = this.store.get(key);
      this.store.set(key, item);
      if (old === undefined) this.emit('added', item);
      else if (old.metadata.resourceVersion !== item.metadata.resourceVersion) this.emit('modified', item);
    }
    this.resourceVersion = list.metadata.resourceVersion ?? '';
  }

  private emit(event: InformerEvent, object: T): void {
    for (const listener of this.listeners) {
      try {
        listener(event, object);
      } catch (error) {
        this.options.logger.error({ err: error }, 'informer listener failed');
      }
    }
  }
}
