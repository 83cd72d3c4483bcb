// The PodMonitor lookup the controller gives the reconciler: an informer per
// watched scope on the operator's own PodMonitors (the managed-by label, as on
// every child), so that one deleted or edited by hand queues its cache at once,
// as a child's change does (docs/operator.md, "Monitoring"). The Prometheus
// Operator's CRD may be missing, or installed and removed while the operator
// runs, so the informers start once discovery says PodMonitors are served and
// stop once it says they are not.
//
// Discovery is asked only while PodMonitors are not known to be served, i.e.
// by the reconciles of caches that want one (each looks again every
// MISSING_POD_MONITOR_CRD_RECHECK_MS), and after a failed list or watch of the
// informers, which is how a removed CRD shows. While the informers run, no
// reconcile asks: a discovery request per reconcile would be the operator's
// most frequent request for a fact that rarely changes.
import type { Logger } from 'pino';
import type { KubeClient, KubeObject } from '../kube/client.js';
import { apiPodMonitorLookup } from '../kube/pod-monitors.js';
import { resourceType } from '../kube/resource-types.js';
import type { PodMonitorLookup } from '../reconcile/ports.js';
import type { ChildObject } from '../resources/child-kinds.js';
import { MANAGED_SELECTOR } from '../resources/names.js';
import { POD_MONITOR_API_VERSION, POD_MONITOR_KIND } from '../resources/pod-monitor.js';
import { Informer, type InformerListener } from './informer.js';

export type PodMonitorWatchStep = 'start' | 'stop' | 'keep';

/** What discovery's answer means for the informers: start them once PodMonitors are served, stop them once they are not. */
export function podMonitorWatchStep(watching: boolean, served: boolean): PodMonitorWatchStep {
  if (served === watching) return 'keep';
  return served ? 'start' : 'stop';
}

export type PodMonitorObject = ChildObject & KubeObject;

export interface WatchedPodMonitorsOptions {
  client: KubeClient;
  /** The controller's scopes: one namespace each, or undefined for all of them. */
  namespaces: ReadonlyArray<string | undefined>;
  logger: Logger;
}

interface ScopeInformer {
  namespace: string | undefined;
  informer: Informer<PodMonitorObject>;
}

export class WatchedPodMonitors implements PodMonitorLookup {
  /** Reads before the informers hold a complete copy, and discovery. */
  private readonly api: PodMonitorLookup;
  private readonly listeners: Array<InformerListener<PodMonitorObject>> = [];
  /** Set while PodMonitors are served. */
  private informers: ScopeInformer[] | undefined;
  /** The discovery request in flight, shared by everyone who asks meanwhile. */
  private asking: Promise<boolean> | undefined;
  private stopped = false;

  constructor(private readonly options: WatchedPodMonitorsOptions) {
    this.api = apiPodMonitorLookup(options.client);
  }

  /** Whether the informers are running (PodMonitors were served when last asked). */
  get watching(): boolean {
    return this.informers !== undefined;
  }

  /** Listeners hear about every change of the operator's PodMonitors while they are watched. */
  onChange(listener: InformerListener<PodMonitorObject>): void {
    this.listeners.push(listener);
  }

  served(): Promise<boolean> {
    // The informers' failures are what ask again while they run (above).
    if (this.informers !== undefined) return Promise.resolve(true);
    return this.askDiscovery();
  }

  async get(namespace: string, name: string): Promise<ChildObject | undefined> {
    const informer = this.informers?.find((scope) => scope.namespace === undefined || scope.namespace === namespace)?.informer;
    if (informer === undefined || !informer.synced) return this.api.get(namespace, name);
    const found = informer.get(namespace, name);
    // A watch event carries them, but the drift check must not depend on it.
    return found === undefined ? undefined : { ...found, apiVersion: POD_MONITOR_API_VERSION, kind: POD_MONITOR_KIND };
  }

  /** Stops the informers for good: nothing starts them again. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.stopWatching();
  }

  private askDiscovery(): Promise<boolean> {
    this.asking ??= this.api
      .served()
      .then((served) => {
        this.follow(served);
        return served;
      })
      .finally(() => {
        this.asking = undefined;
      });
    return this.asking;
  }

  private follow(served: boolean): void {
    const step = podMonitorWatchStep(this.watching, served);
    if (step === 'start' && !this.stopped) this.startWatching();
    else if (step === 'stop') void this.stopWatching();
  }

  private startWatching(): void {
    const { client, logger } = this.options;
    this.informers = this.options.namespaces.map((namespace) => {
      const informer = new Informer<PodMonitorObject>({
        client,
        type: resourceType(POD_MONITOR_KIND),
        ...(namespace !== undefined ? { namespace } : {}),
        labelSelector: MANAGED_SELECTOR,
        logger,
        // Unanswered (the API server is unreachable): the informer retries, and asks again on its next failure.
        onFailure: () => void this.askDiscovery().catch(() => undefined),
      });
      informer.onChange((event, podMonitor) => this.listeners.forEach((listener) => listener(event, podMonitor)));
      // It lists until that works, or until it is stopped; reads go to the API until then.
      void informer.start();
      return { namespace, informer };
    });
    logger.info({ namespaces: this.options.namespaces.map((namespace) => namespace ?? 'all') }, 'PodMonitors are served: watching them');
  }

  private async stopWatching(): Promise<void> {
    const informers = this.informers;
    if (informers === undefined) return;
    this.informers = undefined;
    if (!this.stopped) this.options.logger.info('PodMonitors are no longer served: stopped watching them');
    await Promise.all(informers.map((scope) => scope.informer.stop()));
  }
}
