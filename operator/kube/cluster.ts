// The reconciler's ports over the Kubernetes API: it reads the informers'
// copies of the cluster and writes through the client (server-side apply).
import type { V1Pod } from '@kubernetes/client-node';
import type { DistributedCache, DistributedCacheStatus } from '../api/distributed-cache.js';
import type { ClusterState, ClusterWriter, SecretPresence } from '../reconcile/ports.js';
import type { ChildObject } from '../resources/child-kinds.js';
import { FIELD_MANAGER, LABEL, selectorLabels } from '../resources/names.js';
import { isConflict, isNotFound } from './api-error.js';
import type { KubeClient, KubeObject } from './client.js';
import { resourceType, resourceTypeOf } from './resource-types.js';

/** A local copy of one kind of object, such as an informer keeps. */
export interface ObjectCopy<T> {
  get(namespace: string, name: string): T | undefined;
  list(namespace?: string): T[];
}

/** The copies kept for one watched namespace (undefined: all of them). */
export interface WatchedScope {
  namespace: string | undefined;
  caches: ObjectCopy<DistributedCache & KubeObject>;
  children: ReadonlyArray<ObjectCopy<ChildObject & KubeObject>>;
  /** The server pods of every cache here (SERVER_POD_SELECTOR). */
  serverPods: ObjectCopy<V1Pod & KubeObject>;
}

/** The pods the operator watches: every cache's servers, and nothing else. */
export const SERVER_POD_SELECTOR = `${LABEL.managedBy}=${FIELD_MANAGER},${LABEL.component}=server`;

/** The cache a server pod belongs to, by its instance label. */
export function cacheKeyOfServerPod(pod: KubeObject): string | undefined {
  const name = pod.metadata.labels?.[LABEL.instance];
  return name === undefined ? undefined : `${pod.metadata.namespace ?? ''}/${name}`;
}

export function informerClusterState(scopes: readonly WatchedScope[]): ClusterState {
  const scopeOf = (namespace: string) => scopes.find((scope) => scope.namespace === undefined || scope.namespace === namespace);
  return {
    cache: (namespace, name) => scopeOf(namespace)?.caches.get(namespace, name),
    childrenOf: (cache) => {
      const { uid, namespace } = cache.metadata;
      return (scopeOf(namespace)?.children ?? [])
        .flatMap((copy) => copy.list(namespace))
        .filter((child) => child.metadata.ownerReferences?.some((ref) => ref.controller === true && ref.uid === uid));
    },
    serverPodsOf: (cache) => {
      const { name, namespace } = cache.metadata;
      const selector = Object.entries(selectorLabels(name, 'server'));
      return (scopeOf(namespace)?.serverPods.list(namespace) ?? []).filter((pod) =>
        selector.every(([key, value]) => pod.metadata.labels?.[key] === value),
      );
    },
  };
}

export function apiClusterWriter(client: KubeClient): ClusterWriter {
  return {
    apply: (object) => client.apply<ChildObject & KubeObject>(object as ChildObject & KubeObject),
    createIfMissing: async (object) => {
      try {
        await client.create(resourceTypeOf(object), object.metadata.namespace, object);
        return true;
      } catch (error) {
        // AlreadyExists: a create needs no right to read what is there, which for a Secret matters.
        if (isConflict(error)) return false;
        throw error;
      }
    },
    delete: (object) => client.delete(resourceTypeOf(object), object.metadata.namespace, object.metadata.name, object.metadata.uid),
    applyStatus: async (cache: DistributedCache, status: DistributedCacheStatus) => {
      const { name, namespace } = cache.metadata;
      try {
        await client.applyStatus({ apiVersion: cache.apiVersion, kind: cache.kind, metadata: { name, namespace }, status });
      } catch (error) {
        // Deleted meanwhile: nothing left to report on.
        if (!isNotFound(error)) throw error;
      }
    },
  };
}

/**
 * A dry-run create of an empty Secret of that name: AlreadyExists means it
 * exists. It needs only the right to create Secrets, which the operator has,
 * reads nothing of the Secret, and stores nothing.
 */
export function apiSecretPresence(client: KubeClient): SecretPresence {
  return {
    secretExists: async (namespace, name) => {
      const probe = { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace }, type: 'Opaque' };
      try {
        await client.create(resourceType('Secret'), namespace, probe, { dryRun: true });
        return false;
      } catch (error) {
        if (isConflict(error)) return true;
        throw error;
      }
    },
  };
}
