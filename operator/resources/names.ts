// The names, labels, annotations and ports of everything the operator creates:
// a contract with users (docs/operator.md, "What it creates"), so defined once, here.
import { ZOOKEEPER_CLIENT_PORT } from '../../dataplane/config/contract.js';
import { API_VERSION, KIND, type DistributedCache } from '../api/distributed-cache.js';
import { contentHash } from './hash.js';

export const FIELD_MANAGER = 'distributed-cache-operator';
export const APP_NAME = 'distributed-cache';

export const LABEL = {
  name: 'app.kubernetes.io/name',
  instance: 'app.kubernetes.io/instance',
  component: 'app.kubernetes.io/component',
  managedBy: 'app.kubernetes.io/managed-by',
} as const;

export const ANNOTATION = {
  /** On pod templates: a hash of the settings that shape the pods; a new value rolls them. */
  configChecksum: 'cache.distributed.dev/config-checksum',
  /** On every child: a hash of what the operator last applied, so it can tell its own changes from drift. */
  appliedHash: 'cache.distributed.dev/applied-hash',
  /**
   * On the router pod template, "true": routers rendered by this release, which follow any
   * placement the servers advertise. Servers get a placement other than none only once every
   * router runs such a template (resources/server-placement.ts).
   */
  placementAware: 'cache.distributed.dev/placement-aware',
} as const;

export type Component = 'zookeeper' | 'server' | 'client';

/** Selects everything this operator manages (its informers watch only these). */
export const MANAGED_SELECTOR = `${LABEL.managedBy}=${FIELD_MANAGER}`;

/** The ZooKeeper members' ports (the data plane's come from its process contract). */
export const ZOOKEEPER_PORT = {
  client: ZOOKEEPER_CLIENT_PORT,
  peer: 2888,
  leaderElection: 3888,
} as const;

export interface ChildNames {
  zookeeper: string;
  zookeeperHeadless: string;
  server: string;
  client: string;
  /** The Secret holding the cluster token (created once, never rewritten). */
  clusterToken: string;
  /** The PodMonitor over the server and router pods (spec.monitoring). */
  podMonitor: string;
}

export function childNames(cacheName: string): ChildNames {
  return {
    zookeeper: `${cacheName}-zookeeper`,
    zookeeperHeadless: `${cacheName}-zookeeper-headless`,
    server: `${cacheName}-server`,
    client: `${cacheName}-client`,
    clusterToken: `${cacheName}-cluster-token`,
    podMonitor: cacheName,
  };
}

/** The labels a workload's pods are selected by. Selectors are immutable, so these never change. */
export function selectorLabels(cacheName: string, component: Component): Record<string, string> {
  return { [LABEL.name]: APP_NAME, [LABEL.instance]: cacheName, [LABEL.component]: component };
}

export function selectorString(cacheName: string, component: Component): string {
  return Object.entries(selectorLabels(cacheName, component))
    .map(([key, value]) => `${key}=${value}`)
    .join(',');
}

/** Every child and every pod carries these. */
export function childLabels(cacheName: string, component: Component): Record<string, string> {
  return { ...selectorLabels(cacheName, component), [LABEL.managedBy]: FIELD_MANAGER };
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller: true;
  blockOwnerDeletion: true;
}

/** The controller reference that makes a child part of its DistributedCache (and deleted with it). */
export function ownerReference(cache: DistributedCache): OwnerReference {
  const uid = cache.metadata.uid;
  if (uid === undefined || uid === '') throw new Error(`DistributedCache ${cache.metadata.namespace}/${cache.metadata.name} has no uid`);
  return { apiVersion: API_VERSION, kind: KIND, name: cache.metadata.name, uid, controller: true, blockOwnerDeletion: true };
}

/**
 * The data plane's CACHE_NAME (its ZooKeeper root). Namespace-qualified, so
 * that caches of the same name in two namespaces can share an ensemble; the
 * data plane allows 63 characters, so a long pair keeps the name and a hash.
 */
export function dataplaneCacheName(namespace: string, name: string): string {
  const qualified = `${namespace}.${name}`;
  return qualified.length <= 63 ? qualified : `${name}.${contentHash(qualified)}`;
}
