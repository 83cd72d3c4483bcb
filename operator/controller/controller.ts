// The controller: informers on DistributedCaches, on the kinds of child they
// own and, once the cluster serves them, on their PodMonitors feed a
// rate-limited queue of namespace/name keys; workers take keys and reconcile
// them. Events only say which cache to look at again.
import type { V1Pod } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { OperatorDefaults } from '../api/defaults.js';
import { GROUP, KIND, type DistributedCache } from '../api/distributed-cache.js';
import type { KubeClient, KubeObject } from '../kube/client.js';
import {
  apiClusterWriter,
  apiSecretPresence,
  cacheKeyOfServerPod,
  informerClusterState,
  SERVER_POD_SELECTOR,
  type WatchedScope,
} from '../kube/cluster.js';
import { resourceType } from '../kube/resource-types.js';
import type { OperatorMetrics } from '../observability/metrics.js';
import type { EventRecorder } from '../reconcile/ports.js';
import { Reconciler } from '../reconcile/reconciler.js';
import { CHILD_KINDS, type ChildObject } from '../resources/child-kinds.js';
import { MANAGED_SELECTOR } from '../resources/names.js';
import { Informer } from './informer.js';
import { WatchedPodMonitors } from './watched-pod-monitors.js';
import { WorkQueue } from './workqueue.js';

export interface ControllerOptions {
  client: KubeClient;
  /** Undefined: every namespace. */
  namespaces: readonly string[] | undefined;
  defaults: OperatorDefaults;
  events: EventRecorder;
  metrics: OperatorMetrics;
  logger: Logger;
  workers?: number;
  /** Every cache is looked at again this often, whatever happened (a safety net, as controller-runtime's resync). */
  resyncMs?: number;
}

const DEFAULT_WORKERS = 2;
const DEFAULT_RESYNC_MS = 10 * 60 * 1000;

/** The DistributedCache a child belongs to, from its controller owner reference. */
export function ownerKey(object: KubeObject): string | undefined {
  const owner = object.metadata.ownerReferences?.find(
    (ref) => ref.controller === true && ref.kind === KIND && ref.apiVersion.startsWith(`${GROUP}/`),
  );
  return owner === undefined ? undefined : `${object.metadata.namespace ?? ''}/${owner.name}`;
}

/** The informers of one watched namespace (or of all of them). */
interface Scope extends WatchedScope {
  caches: Informer<DistributedCache & KubeObject>;
  children: Array<Informer<ChildObject & KubeObject>>;
  serverPods: Informer<V1Pod & KubeObject>;
}

export class Controller {
  private readonly queue = new WorkQueue();
  private readonly scopes: Scope[];
  /** Not a scope's informer: it starts only once the cluster serves PodMonitors, and the reconciler asks it. */
  private readonly podMonitors: WatchedPodMonitors;
  private readonly reconciler: Reconciler;
  private workers: Array<Promise<void>> = [];
  private resyncTimer: NodeJS.Timeout | undefined;
  private started = false;

  constructor(private readonly options: ControllerOptions) {
    const { client, logger } = options;
    const namespaces: Array<string | undefined> = options.namespaces === undefined ? [undefined] : [...options.namespaces];
    this.scopes = namespaces.map((namespace) => {
      const where = namespace !== undefined ? { namespace } : {};
      const caches = new Informer<DistributedCache & KubeObject>({ client, type: resourceType(KIND), ...where, logger });
      caches.onChange((_event, cache) => this.enqueue(`${cache.metadata.namespace}/${cache.metadata.name}`));
      const children = CHILD_KINDS.map((kind) => {
        const informer = new Informer<ChildObject & KubeObject>({
          client,
          type: resourceType(kind),
          ...where,
          labelSelector: MANAGED_SELECTOR,
          logger,
        });
        informer.onChange((_event, child) => this.enqueueOwner(child));
        return informer;
      });
      // A server pod's zone label and readiness feed the ZoneSafe condition of its cache.
      const serverPods = new Informer<V1Pod & KubeObject>({ client, type: resourceType('Pod'), ...where, labelSelector: SERVER_POD_SELECTOR, logger });
      serverPods.onChange((_event, pod) => {
        const key = cacheKeyOfServerPod(pod);
        if (key !== undefined) this.enqueue(key);
      });
      return { namespace, caches, children, serverPods };
    });
    this.podMonitors = new WatchedPodMonitors({ client, namespaces, logger });
    this.podMonitors.onChange((_event, podMonitor) => this.enqueueOwner(podMonitor));
    this.reconciler = new Reconciler({
      state: informerClusterState(this.scopes),
      writer: apiClusterWriter(client),
      secrets: apiSecretPresence(client),
      podMonitors: this.podMonitors,
      events: options.events,
      defaults: options.defaults,
      logger,
      observer: options.metrics,
    });
  }

  private get informers(): Array<Pick<Informer<KubeObject>, 'synced' | 'start' | 'stop'>> {
    return this.scopes.flatMap((scope) => [scope.caches, ...scope.children, scope.serverPods]);
  }

  /**
   * Whether every informer holds a complete copy. Not the PodMonitors': until
   * theirs is, the reconciler reads them from the API.
   */
  get synced(): boolean {
    return this.started && this.informers.every((informer) => informer.synced);
  }

  /** Fills the informers, then starts the workers. */
  async start(): Promise<void> {
    const { logger } = this.options;
    await Promise.all(this.informers.map((informer) => informer.start()));
    this.started = true;
    logger.info({ caches: this.cacheKeys().length, namespaces: this.options.namespaces ?? 'all' }, 'informers synced');
    const workers = this.options.workers ?? DEFAULT_WORKERS;
    this.workers = Array.from({ length: workers }, () => this.work());
    this.resyncTimer = setInterval(() => this.cacheKeys().forEach((key) => this.enqueue(key)), this.options.resyncMs ?? DEFAULT_RESYNC_MS);
  }

  /** Stops taking keys, lets in-flight reconciles finish, and stops the informers. */
  async stop(): Promise<void> {
    if (this.resyncTimer !== undefined) clearInterval(this.resyncTimer);
    this.queue.shutDown();
    await Promise.all(this.workers);
    await Promise.all([...this.informers.map((informer) => informer.stop()), this.podMonitors.stop()]);
  }

  private cacheKeys(): string[] {
    return this.scopes.flatMap((scope) => scope.caches.list()).map((cache) => `${cache.metadata.namespace}/${cache.metadata.name}`);
  }

  /** Queues the cache that controls a child (or a PodMonitor). */
  private enqueueOwner(object: KubeObject): void {
    const key = ownerKey(object);
    if (key !== undefined) this.enqueue(key);
  }

  private enqueue(key: string): void {
    this.queue.add(key);
    this.options.metrics.queueDepth.set(this.queue.length);
  }

  private async work(): Promise<void> {
    const { metrics, logger } = this.options;
    for (;;) {
      const key = await this.queue.get();
      metrics.queueDepth.set(this.queue.length);
      if (key === undefined) return;
      const stopTimer = metrics.reconcileDuration.startTimer();
      try {
        const { requeueAfterMs } = await this.reconciler.reconcile(key);
        this.queue.forget(key);
        if (requeueAfterMs !== undefined) this.queue.addAfter(key, requeueAfterMs);
        metrics.reconciles.inc({ outcome: 'done' });
      } catch (error) {
        metrics.reconciles.inc({ outcome: 'error' });
        metrics.reconcileErrors.inc();
        const retries = this.queue.limiter.retries(key);
        logger.error({ cache: key, err: error, retries }, 'reconcile failed; retrying with backoff');
        this.queue.addRateLimited(key);
      } finally {
        stopTimer();
        this.queue.done(key);
      }
    }
  }
}
