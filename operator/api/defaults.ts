// From a DistributedCache's spec to the complete settings the builders use:
// the schema's own defaults (the same the API server applies), then the ones
// only the operator knows (its images, sizes derived from other fields).
import { parseByteSize } from '../../dataplane/config/contract.js';
import {
  specSchema,
  type DefaultedSpec,
  type DistributedCacheSpec,
  type NetworkPeer,
  type PlacementMode,
  type ResourceRequirements,
} from './distributed-cache.js';
import { resolvePodSettings, type PodSettings } from './pod-settings.js';
import { applyDefaults } from './schema.js';

/** What the operator fills in that the schema cannot. */
export interface OperatorDefaults {
  /** The data plane image for caches that leave spec.image empty (DATAPLANE_IMAGE). */
  dataplaneImage: string;
  zookeeperImage: string;
}

/**
 * The official `zookeeper` image (Docker Official Images, maintained with the
 * ZooKeeper project's releases): it configures an ensemble from ZOO_MY_ID and
 * ZOO_SERVERS, runs as uid 1000 and ships nc for the four-letter-word probes.
 */
export const DEFAULT_ZOOKEEPER_IMAGE = 'zookeeper:3.9';
export const DEFAULT_ZOOKEEPER_REPLICAS = 1;
export const DEFAULT_ZOOKEEPER_STORAGE = '1Gi';
/** The limit gives a 256 MiB JVM heap (ZK_SERVER_HEAP is half the limit) plus the JVM's own memory. */
export const DEFAULT_ZOOKEEPER_RESOURCES: Resources = { requests: { cpu: '100m', memory: '384Mi' }, limits: { memory: '512Mi' } };

/** Requests and limits as the API server stores them: string quantities. */
export interface Resources {
  requests?: Record<string, string>;
  limits?: Record<string, string>;
}

export type ZooKeeperSettings =
  | { mode: 'external'; connectString: string }
  | {
      mode: 'managed';
      replicas: number;
      image: string;
      storage: { size: string; storageClassName?: string };
      resources: Resources;
      pod: PodSettings;
    };

export interface ResolvedSpec {
  image: string;
  imagePullPolicy: DefaultedSpec['imagePullPolicy'];
  imagePullSecrets: Array<{ name: string }>;
  logLevel: DefaultedSpec['logLevel'];
  replicationFactor: number;
  servers: {
    replicas: number;
    maxMemory: string;
    maxEntries?: number;
    drainTimeoutSeconds: number;
    resources: Resources;
    /** What spec.servers.placement asks for; servers run it once every router can follow (resources/server-placement.ts). */
    placement: PlacementMode;
    pod: PodSettings;
  };
  clients: {
    replicas: number;
    resources: Resources;
    service: DefaultedSpec['clients']['service'];
    autoscaling: DefaultedSpec['clients']['autoscaling'];
    pod: PodSettings;
  };
  zookeeper: ZooKeeperSettings;
  autoscaling: DefaultedSpec['autoscaling'];
  networkPolicy: NetworkPolicySettings;
  /** The Secret of client bearer tokens; undefined: client auth off. */
  clientTokensSecret: string | undefined;
  /** The kubernetes.io/tls Secret the routers serve HTTPS with; undefined: plain HTTP. */
  tlsSecret: string | undefined;
  /** Keys (or prefixes ending in /) of the cache's labels and annotations its children carry too. */
  propagate: { labels: string[]; annotations: string[] };
  /** spec.monitoring: whether to keep a PodMonitor, and how it verifies HTTPS routers. */
  monitoring: MonitoringSettings;
}

export interface MonitoringSettings {
  enabled: boolean;
  tlsConfig?: NonNullable<DefaultedSpec['monitoring']>['tlsConfig'];
}

/** Undefined clientFrom: the routers' public port is open to anyone. */
export interface NetworkPolicySettings {
  enabled: boolean;
  clientFrom?: NetworkPeer[];
  metricsFrom: NetworkPeer[];
}

/**
 * Who scrapes metrics when spec.networkPolicy.metricsFrom is left out: a
 * Prometheus in any namespace, by the label the Prometheus Operator (and
 * kube-prometheus-stack) puts on its pods.
 */
export const DEFAULT_METRICS_FROM: readonly NetworkPeer[] = [
  { namespaceSelector: {}, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } } },
];

const MI = 2 ** 20;

/** A byte count as a canonical quantity (the form the API server stores): Gi when whole, else Mi. */
export function mebibytes(bytes: number): string {
  const mi = Math.ceil(bytes / MI);
  return mi % 1024 === 0 ? `${mi / 1024}Gi` : `${mi}Mi`;
}

/**
 * A server's memory beyond its store: the store's bound counts keys, values
 * and an estimate of per-entry overhead, but not V8's heap slack, in-flight
 * hand-off batches or the runtime itself.
 */
export function serverMemoryFor(maxMemory: string): string {
  const bytes = parseByteSize(maxMemory);
  if (bytes === undefined) throw new Error(`spec.servers.maxMemory "${maxMemory}" is not a size`);
  return mebibytes(bytes * 1.5 + 128 * MI);
}

function stringQuantities(map: Record<string, number | string> | undefined): Record<string, string> | undefined {
  if (map === undefined) return undefined;
  return Object.fromEntries(Object.entries(map).map(([key, value]) => [key, String(value)]));
}

function toResources(given: ResourceRequirements | undefined, fallback: Resources): Resources {
  if (given === undefined) return fallback;
  const requests = stringQuantities(given.requests);
  const limits = stringQuantities(given.limits);
  return { ...(requests !== undefined ? { requests } : {}), ...(limits !== undefined ? { limits } : {}) };
}

export function resolveSpec(spec: DistributedCacheSpec | undefined, defaults: OperatorDefaults): ResolvedSpec {
  const s = applyDefaults(specSchema, spec ?? {}) as DefaultedSpec;
  const serverMemory = serverMemoryFor(s.servers.maxMemory);
  const zk = s.zookeeper;
  const zookeeper: ZooKeeperSettings =
    zk.connectString !== undefined
      ? { mode: 'external', connectString: zk.connectString }
      : {
          mode: 'managed',
          replicas: zk.replicas ?? DEFAULT_ZOOKEEPER_REPLICAS,
          image: zk.image ?? defaults.zookeeperImage,
          storage: {
            size: zk.storage?.size ?? DEFAULT_ZOOKEEPER_STORAGE,
            ...(zk.storage?.storageClassName !== undefined ? { storageClassName: zk.storage.storageClassName } : {}),
          },
          resources: toResources(zk.resources, structuredClone(DEFAULT_ZOOKEEPER_RESOURCES)),
          pod: resolvePodSettings(zk),
        };
  return {
    image: s.image ?? defaults.dataplaneImage,
    imagePullPolicy: s.imagePullPolicy,
    imagePullSecrets: (s.imagePullSecrets ?? []).map(({ name }) => ({ name })),
    logLevel: s.logLevel,
    replicationFactor: s.replicationFactor,
    servers: {
      replicas: s.servers.replicas,
      maxMemory: s.servers.maxMemory,
      ...(s.servers.maxEntries !== undefined ? { maxEntries: s.servers.maxEntries } : {}),
      drainTimeoutSeconds: s.servers.drainTimeoutSeconds,
      resources: toResources(s.servers.resources, {
        requests: { cpu: '250m', memory: serverMemory },
        limits: { memory: serverMemory },
      }),
      placement: s.servers.placement,
      pod: resolvePodSettings(s.servers),
    },
    clients: {
      replicas: s.clients.replicas,
      resources: toResources(s.clients.resources, { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } }),
      service: s.clients.service,
      autoscaling: s.clients.autoscaling,
      pod: resolvePodSettings(s.clients),
    },
    zookeeper,
    autoscaling: s.autoscaling,
    networkPolicy: {
      enabled: s.networkPolicy.enabled,
      ...(s.networkPolicy.clientFrom !== undefined ? { clientFrom: s.networkPolicy.clientFrom } : {}),
      metricsFrom: s.networkPolicy.metricsFrom ?? structuredClone([...DEFAULT_METRICS_FROM]),
    },
    clientTokensSecret: s.auth?.secretRef?.name,
    tlsSecret: s.tls?.secretName,
    propagate: { labels: [...(s.propagateLabels ?? [])], annotations: [...(s.propagateAnnotations ?? [])] },
    monitoring: {
      enabled: s.monitoring?.enabled ?? false,
      ...(s.monitoring?.tlsConfig !== undefined ? { tlsConfig: s.monitoring.tlsConfig } : {}),
    },
  };
}
