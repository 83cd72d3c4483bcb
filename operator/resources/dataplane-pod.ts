// The data plane's pods, shared by the server and router Deployments: the
// settings they get (the data plane's process contract), probes and security context.
import type {
  V1Container,
  V1EnvVar,
  V1PodSecurityContext,
  V1PodTemplateSpec,
  V1Probe,
  V1SecurityContext,
} from '@kubernetes/client-node';
import { DEFAULT_PORT, OPERATOR_METRICS_PORT, parseByteSize, POD_IP_ENV, SETTINGS, type Role } from '../../dataplane/config/contract.js';
import type { Resources } from '../api/defaults.js';
import type { PodSettings } from '../api/pod-settings.js';
import { CLIENT_TOKENS_FILE_PATH, CLIENT_TOKENS_VOLUME_MOUNT, clientTokensVolume } from './client-tokens.js';
import { CLUSTER_TOKEN_FILE_PATH, CLUSTER_TOKEN_VOLUME_MOUNT, clusterTokenVolume } from './cluster-token.js';
import { cacheNameOf, zookeeperConnectString, type CacheContext } from './context.js';
import { contentHash } from './hash.js';
import { ANNOTATION, childLabels } from './names.js';
import { podPlacement, podTemplateAnnotations, podTemplateLabels, ZONE_TOPOLOGY_KEY } from './pod-placement.js';
import { PLACEMENT_AWARE_MARK } from './server-placement.js';
import { TLS_CERT_FILE_PATH, TLS_KEY_FILE_PATH, TLS_VOLUME_MOUNT, tlsVolume } from './tls.js';

/** The uid and gid of the image's user (the Dockerfile's USER). */
export const DATAPLANE_UID = 1000;

/** Grace beyond the drain: time to deregister and close connections after the hand-off. */
export const TERMINATION_GRACE_BEYOND_DRAIN_SECONDS = 15;

/**
 * A server's readiness is its word that every key has its copies, so the kubelet asks every
 * second and believes one answer; a leaving server stays registered long enough (LEAVE_NOTICE)
 * for every peer's next probe, and its status update, to see it (docs/operator.md, "Replicated").
 */
export const SERVER_READINESS_PROBE = { periodSeconds: 1, timeoutSeconds: 1, failureThreshold: 1, successThreshold: 1 } as const;
export const SERVER_LEAVE_NOTICE_SECONDS = 3;
const ROUTER_READINESS_PROBE = { periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 3 } as const;

/**
 * Everything that shapes a data plane pod of one role. The pod template is
 * rendered from it, and its hash is the template's checksum annotation.
 */
export interface DataplanePodConfig {
  role: Role;
  image: string;
  imagePullPolicy: string;
  /** Secret names; empty when the pods pull without credentials. */
  imagePullSecrets: Array<{ name: string }>;
  /** Plain environment variables, by name. */
  env: Record<string, string>;
  resources: Resources;
  /** Scheduling and extra pod metadata (spec.servers / spec.clients pod settings). */
  pod: PodSettings;
  terminationGracePeriodSeconds: number;
  /** Routers with client auth on: the Secret of bearer tokens they mount. */
  clientTokensSecret?: string;
  /** Routers with TLS on: the kubernetes.io/tls Secret they mount and serve HTTPS with. */
  tlsSecret?: string;
}

/** V8's heap limit as a share of the container's memory limit, so Node stops short of the OOM killer. */
function nodeOptionsFor(resources: Resources): string | undefined {
  const limit = resources.limits?.['memory'];
  const bytes = limit === undefined ? undefined : parseByteSize(limit);
  if (bytes === undefined) return undefined;
  return `--max-old-space-size=${Math.max(64, Math.floor((bytes * 0.75) / 2 ** 20))}`;
}

export function dataplanePodConfig(ctx: CacheContext, role: Role): DataplanePodConfig {
  const { spec } = ctx;
  const tier = role === 'server' ? spec.servers : spec.clients;
  const resources = tier.resources;
  const env: Record<string, string> = {
    [SETTINGS.port.env]: String(DEFAULT_PORT[role]),
    // /metrics alone, so that the NetworkPolicy can open it, and only it, to scrapers.
    [SETTINGS.metricsPort.env]: String(OPERATOR_METRICS_PORT),
    [SETTINGS.zkConnect.env]: zookeeperConnectString(ctx),
    [SETTINGS.cacheName.env]: cacheNameOf(ctx),
    [SETTINGS.replicationFactor.env]: String(spec.replicationFactor),
    [SETTINGS.logLevel.env]: spec.logLevel,
    [SETTINGS.clusterTokenFile.env]: CLUSTER_TOKEN_FILE_PATH,
  };
  if (role === 'server') {
    env[SETTINGS.maxMemory.env] = spec.servers.maxMemory;
    if (spec.servers.maxEntries !== undefined) env[SETTINGS.maxEntries.env] = String(spec.servers.maxEntries);
    env[SETTINGS.drainTimeout.env] = `${spec.servers.drainTimeoutSeconds}s`;
    env[SETTINGS.leaveNotice.env] = `${SERVER_LEAVE_NOTICE_SECONDS}s`;
    env[SETTINGS.placement.env] = ctx.serverPlacement;
  }
  const clientTokensSecret = role === 'client' ? spec.clientTokensSecret : undefined;
  if (clientTokensSecret !== undefined) env[SETTINGS.clientTokensFile.env] = CLIENT_TOKENS_FILE_PATH;
  const tlsSecret = role === 'client' ? spec.tlsSecret : undefined;
  if (tlsSecret !== undefined) {
    env[SETTINGS.tlsCert.env] = TLS_CERT_FILE_PATH;
    env[SETTINGS.tlsKey.env] = TLS_KEY_FILE_PATH;
  }
  const nodeOptions = nodeOptionsFor(resources);
  // Node's own variable, not the data plane's.
  if (nodeOptions !== undefined) env['NODE_OPTIONS'] = nodeOptions;
  return {
    role,
    image: spec.image,
    imagePullPolicy: spec.imagePullPolicy,
    imagePullSecrets: spec.imagePullSecrets,
    env,
    resources,
    pod: tier.pod,
    // Servers hand their keys off before exiting; the kubelet must not cut that short.
    terminationGracePeriodSeconds:
      role === 'server' ? spec.servers.drainTimeoutSeconds + TERMINATION_GRACE_BEYOND_DRAIN_SECONDS : 30,
    ...(clientTokensSecret !== undefined ? { clientTokensSecret } : {}),
    ...(tlsSecret !== undefined ? { tlsSecret } : {}),
  };
}

const fromField = (name: string, fieldPath: string): V1EnvVar => ({ name, valueFrom: { fieldRef: { fieldPath } } });

/** The container port's name, which the probes and the Service use: what it speaks. */
export function portNameOf(config: DataplanePodConfig): 'http' | 'https' {
  return config.tlsSecret === undefined ? 'http' : 'https';
}

/** The metrics port's name, which the PodMonitor scrapes: it speaks what the public port speaks. */
export function metricsPortNameOf(config: DataplanePodConfig): 'metrics' | 'metrics-https' {
  return config.tlsSecret === undefined ? 'metrics' : 'metrics-https';
}

/** Over HTTPS when the port speaks it (HTTP is the default); the kubelet does not verify a probe's certificate. */
function httpProbe(config: DataplanePodConfig, path: string, timing: Omit<V1Probe, 'httpGet'>): V1Probe {
  const port = portNameOf(config);
  return { httpGet: { path, port, ...(port === 'https' ? { scheme: 'HTTPS' } : {}) }, ...timing };
}

export const RESTRICTED_CONTAINER_SECURITY_CONTEXT: V1SecurityContext = {
  allowPrivilegeEscalation: false,
  capabilities: { drop: ['ALL'] },
};

/** A pod spec's imagePullSecrets, left out when there are none. */
export function pullSecrets(secrets: Array<{ name: string }>): { imagePullSecrets?: Array<{ name: string }> } {
  return secrets.length > 0 ? { imagePullSecrets: secrets.map(({ name }) => ({ name })) } : {};
}

export function podSecurityContext(uid: number): V1PodSecurityContext {
  return { runAsNonRoot: true, runAsUser: uid, runAsGroup: uid, fsGroup: uid, seccompProfile: { type: 'RuntimeDefault' } };
}

/**
 * A server's failure domains, known when its container starts: the node it was
 * bound to, and that node's zone, which the API server's PodTopologyLabels
 * admission copies onto the pod at binding (Kubernetes 1.35 and later by
 * default). Neither needs a right to read Nodes. Without that label ZONE is
 * empty, which the data plane reads as unknown (docs/operator.md "Zones").
 */
const SERVER_FAILURE_DOMAINS: V1EnvVar[] = [
  fromField(SETTINGS.nodeName.env, 'spec.nodeName'),
  fromField(SETTINGS.zone.env, `metadata.labels['${ZONE_TOPOLOGY_KEY}']`),
];

function container(config: DataplanePodConfig): V1Container {
  const env: V1EnvVar[] = [
    ...(config.role === 'server' ? [fromField(SETTINGS.nodeId.env, 'metadata.name'), ...SERVER_FAILURE_DOMAINS] : []),
    fromField(POD_IP_ENV, 'status.podIP'),
    ...Object.entries(config.env).map(([name, value]) => ({ name, value })),
  ];
  return {
    name: config.role,
    image: config.image,
    imagePullPolicy: config.imagePullPolicy,
    // The image's entrypoint runs what it is given: the data plane's CLI, with its role.
    args: ['node', 'dist/dataplane/main.js', config.role],
    ports: [
      { name: portNameOf(config), containerPort: DEFAULT_PORT[config.role], protocol: 'TCP' },
      { name: metricsPortNameOf(config), containerPort: OPERATOR_METRICS_PORT, protocol: 'TCP' },
    ],
    env,
    volumeMounts: [
      CLUSTER_TOKEN_VOLUME_MOUNT,
      ...(config.clientTokensSecret !== undefined ? [CLIENT_TOKENS_VOLUME_MOUNT] : []),
      ...(config.tlsSecret !== undefined ? [TLS_VOLUME_MOUNT] : []),
    ],
    resources: config.resources,
    // A server's /readyz is 200 while it serves and sees every key replicated; a router's once its ring is not empty.
    readinessProbe: httpProbe(config, '/readyz', config.role === 'server' ? SERVER_READINESS_PROBE : ROUTER_READINESS_PROBE),
    livenessProbe: httpProbe(config, '/healthz', { initialDelaySeconds: 10, periodSeconds: 10, timeoutSeconds: 2, failureThreshold: 3 }),
    securityContext: { ...RESTRICTED_CONTAINER_SECURITY_CONTEXT, readOnlyRootFilesystem: true },
  };
}

export function dataplanePodTemplate(ctx: CacheContext, config: DataplanePodConfig): V1PodTemplateSpec {
  const component = config.role;
  return {
    metadata: {
      labels: podTemplateLabels(config.pod, childLabels(ctx.cache.metadata.name, component)),
      annotations: podTemplateAnnotations(config.pod, {
        [ANNOTATION.configChecksum]: contentHash(config),
        ...(component === 'client' ? PLACEMENT_AWARE_MARK : {}),
      }),
    },
    spec: {
      containers: [container(config)],
      ...pullSecrets(config.imagePullSecrets),
      volumes: [
        clusterTokenVolume(ctx),
        ...(config.clientTokensSecret !== undefined ? [clientTokensVolume(config.clientTokensSecret)] : []),
        ...(config.tlsSecret !== undefined ? [tlsVolume(config.tlsSecret)] : []),
      ],
      terminationGracePeriodSeconds: config.terminationGracePeriodSeconds,
      securityContext: podSecurityContext(DATAPLANE_UID),
      ...podPlacement(config.pod, ctx.cache.metadata.name, component),
      enableServiceLinks: false,
    },
  };
}
