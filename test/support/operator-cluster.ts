// The operator's side of the real control plane: its CRD and manifests
// installed once per run, typed access to DistributedCaches and their
// children, and a stand-in for the kubelets that do not exist here.
import {
  ApiextensionsV1Api,
  AppsV1Api,
  AutoscalingV2Api,
  CoreV1Api,
  CustomObjectsApi,
  NetworkingV1Api,
  PolicyV1Api,
  type KubeConfig,
} from '@kubernetes/client-node';
import { API_VERSION, CRD_NAME, GROUP, KIND, PLURAL, VERSION, type DistributedCache, type DistributedCacheSpec } from '../../operator/api/distributed-cache.js';
import { adminKubeConfig, kubeconfigForServiceAccount, kubectl, rejectionOf, type ServiceAccountKubeConfig } from './control-plane.js';
import { repoPath } from './operator-repo.js';
import { waitFor, type WaitOptions } from './wait.js';

export const OPERATOR_NAMESPACE = 'distributed-cache-system';
export const OPERATOR_ACCOUNT = 'distributed-cache-operator';

let installed: Promise<void> | undefined;

/**
 * `kubectl apply --server-side -k manifests/` (what `make deploy` runs): the
 * CRD, namespace, ServiceAccount, RBAC and the operator Deployment, whose pods
 * never run here. Once per run; resolves when DistributedCaches are served.
 */
export function installOperator(): Promise<void> {
  installed ??= (async () => {
    await kubectl(['apply', '--server-side', '-k', repoPath('manifests')]);
    const extensions = adminKubeConfig().makeApiClient(ApiextensionsV1Api);
    await waitFor(`CRD ${CRD_NAME} to be Established`, async () => {
      const crd = await extensions.readCustomResourceDefinition({ name: CRD_NAME });
      return crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
    }, { intervalMs: 100 });
    // Discovery of a new CRD is eventually consistent: wait until the API serves it.
    const objects = adminKubeConfig().makeApiClient(CustomObjectsApi);
    await waitFor('the API server to serve distributedcaches', async () => {
      await objects.listClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURAL });
      return true;
    }, { intervalMs: 100 });
  })();
  return installed;
}

/** Credentials of the operator's own ServiceAccount, as its pod would have. */
export function operatorKubeconfig(): Promise<ServiceAccountKubeConfig> {
  return kubeconfigForServiceAccount(OPERATOR_NAMESPACE, OPERATOR_ACCOUNT);
}

/** Typed clients as the admin, for what a user (or a test) does. */
export class Admin {
  readonly config: KubeConfig = adminKubeConfig();
  readonly apps = this.config.makeApiClient(AppsV1Api);
  readonly core = this.config.makeApiClient(CoreV1Api);
  readonly policy = this.config.makeApiClient(PolicyV1Api);
  readonly autoscaling = this.config.makeApiClient(AutoscalingV2Api);
  readonly objects = this.config.makeApiClient(CustomObjectsApi);
  readonly networking = this.config.makeApiClient(NetworkingV1Api);

  createCache(namespace: string, name: string, spec: DistributedCacheSpec): Promise<DistributedCache> {
    const body = { apiVersion: API_VERSION, kind: KIND, metadata: { name, namespace }, spec };
    return this.objects.createNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: PLURAL, body });
  }

  readCache(namespace: string, name: string): Promise<DistributedCache> {
    return this.objects.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: PLURAL, name });
  }

  /** Reads a cache until `test` holds for it, and returns it. */
  cacheWhere(namespace: string, name: string, what: string, test: (cache: DistributedCache) => boolean, options?: WaitOptions): Promise<DistributedCache> {
    return waitFor(`${name}: ${what}`, async () => {
      const cache = await this.readCache(namespace, name);
      return test(cache) ? cache : undefined;
    }, options);
  }

  /** A JSON merge patch of the spec, as `kubectl patch --type=merge` sends. */
  async patchCacheSpec(namespace: string, name: string, spec: DistributedCacheSpec): Promise<DistributedCache> {
    const output = await kubectl(['patch', '-n', namespace, `${PLURAL}.${GROUP}/${name}`, '--type=merge', '-p', JSON.stringify({ spec }), '-o', 'json']);
    return JSON.parse(output) as DistributedCache;
  }

  deleteCache(namespace: string, name: string): Promise<unknown> {
    return this.objects.deleteNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: PLURAL, name });
  }

  /** The API server's answer to creating this spec: undefined if accepted (dry run), else its rejection. */
  async validate(namespace: string, name: string, spec: unknown): Promise<{ code: number; message: string } | undefined> {
    const body = { apiVersion: API_VERSION, kind: KIND, metadata: { name, namespace }, spec };
    const request = this.objects.createNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: PLURAL, body, dryRun: 'All' });
    try {
      await request;
      return undefined;
    } catch {
      return rejectionOf(request);
    }
  }

  /**
   * What a kubelet reports once a pod's containers run and pass readiness:
   * phase Running with Ready and ContainersReady. The ReplicaSet, Deployment
   * and StatefulSet controllers count it from there. Resolves to the number
   * of pods it marked.
   */
  async markPodsReady(namespace: string, labelSelector: string): Promise<number> {
    const pods = await this.core.listNamespacedPod({ namespace, labelSelector });
    let marked = 0;
    for (const pod of pods.items) {
      const ready = pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
      if (ready === true || pod.metadata?.deletionTimestamp !== undefined) continue;
      const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
      const status = {
        phase: 'Running',
        conditions: [
          { type: 'Ready', status: 'True', lastTransitionTime: now },
          { type: 'ContainersReady', status: 'True', lastTransitionTime: now },
        ],
      };
      await kubectl(['patch', '-n', namespace, `pod/${pod.metadata?.name}`, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status })]);
      marked++;
    }
    return marked;
  }
}
