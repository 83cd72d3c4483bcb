// The ZooKeeper ensemble the operator runs (unless spec.zookeeper.connectString
// names an existing one): a StatefulSet, a headless Service that gives each
// member a stable DNS name, a client Service, and a PDB for an ensemble.
//
// Image: the official `zookeeper` image. Its entrypoint writes zoo.cfg from
// ZOO_SERVERS and the member id from ZOO_MY_ID, so a member needs no init
// container: ZOO_MY_ID is the pod's ordinal + 1, taken from its hostname.
import type { V1PodDisruptionBudget } from '@kubernetes/client-node';
import type { ZooKeeperSettings } from '../api/defaults.js';
import type { PodDisruptionBudget, Service, StatefulSet } from './child-kinds.js';
import { parseByteSize } from '../../dataplane/config/contract.js';
import type { Resources } from '../api/defaults.js';
import { childMetadata, zookeeperMemberHosts, type CacheContext } from './context.js';
import { podSecurityContext, pullSecrets, RESTRICTED_CONTAINER_SECURITY_CONTEXT } from './dataplane-pod.js';
import { contentHash } from './hash.js';
import { ANNOTATION, ZOOKEEPER_PORT, childLabels, selectorLabels } from './names.js';
import { podPlacement, podTemplateAnnotations, podTemplateLabels } from './pod-placement.js';

type ManagedZooKeeper = Extract<ZooKeeperSettings, { mode: 'managed' }>;

/** The uid of the official image's `zookeeper` user. */
export const ZOOKEEPER_UID = 1000;
const DATA_VOLUME = 'data';
const DATA_DIR = '/data';

// Kubernetes leaves `$(...)` that names no variable of the container alone,
// so the shell sees this arithmetic as written.
const START_MEMBER =
  'export ZOO_MY_ID=$((${HOSTNAME##*-} + 1)) && exec /docker-entrypoint.sh zkServer.sh start-foreground';
/** `srvr` answers "Mode: leader|follower|standalone" only while the member serves (it is in a quorum). */
const SERVING = `echo srvr | nc -w 2 127.0.0.1 ${ZOOKEEPER_PORT.client} | grep -q "^Mode: "`;
const ALIVE = `echo ruok | nc -w 2 127.0.0.1 ${ZOOKEEPER_PORT.client} | grep -q imok`;

function managed(ctx: CacheContext): ManagedZooKeeper | undefined {
  return ctx.spec.zookeeper.mode === 'managed' ? ctx.spec.zookeeper : undefined;
}

/** The JVM heap when the members have no memory limit (nor request) to size it by. */
export const DEFAULT_ZOOKEEPER_HEAP_MIB = 256;
/** The least heap a member gets, whatever its limit. */
const MIN_ZOOKEEPER_HEAP_MIB = 64;

/**
 * ZK_SERVER_HEAP (MiB, the -Xmx both images derive): half the member's memory
 * limit (or request, without a limit), leaving the rest to the JVM's own
 * memory (metaspace, threads, direct buffers) so that it stops short of the
 * OOM killer; 256 MiB without either. The default limit of 512Mi gives 256.
 */
export function zookeeperHeapMiB(resources: Resources | undefined): number {
  const memory = resources?.limits?.['memory'] ?? resources?.requests?.['memory'];
  const bytes = memory === undefined ? undefined : parseByteSize(memory);
  if (bytes === undefined) return DEFAULT_ZOOKEEPER_HEAP_MIB;
  return Math.max(MIN_ZOOKEEPER_HEAP_MIB, Math.floor(bytes / 2 / 2 ** 20));
}

/** ZOO_SERVERS: every member by its stable name under the headless Service. */
export function zooServers(ctx: CacheContext, replicas: number): string {
  return zookeeperMemberHosts(ctx, replicas)
    .map((host, ordinal) => `server.${ordinal + 1}=${host}:${ZOOKEEPER_PORT.peer}:${ZOOKEEPER_PORT.leaderElection};${ZOOKEEPER_PORT.client}`)
    .join(' ');
}

export function desiredZooKeeperStatefulSet(ctx: CacheContext): StatefulSet | undefined {
  const zk = managed(ctx);
  if (zk === undefined) return undefined;
  const name = ctx.cache.metadata.name;
  const env: Record<string, string> = {
    ZOO_SERVERS: zooServers(ctx, zk.replicas),
    // Members bind their quorum ports on every address: a member's own DNS name may not resolve yet.
    ZOO_CFG_EXTRA: 'quorumListenOnAllIPs=true',
    ZOO_4LW_COMMANDS_WHITELIST: 'srvr,ruok',
    ZOO_ADMINSERVER_ENABLED: 'false',
    ZOO_DATA_LOG_DIR: `${DATA_DIR}/log`,
    ZK_SERVER_HEAP: String(zookeeperHeapMiB(zk.resources)),
  };
  const pull = { imagePullPolicy: ctx.spec.imagePullPolicy, imagePullSecrets: ctx.spec.imagePullSecrets };
  const podConfig = { image: zk.image, env, ...pull, resources: zk.resources, pod: zk.pod };
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: childMetadata(ctx, ctx.names.zookeeper, 'zookeeper'),
    spec: {
      replicas: zk.replicas,
      serviceName: ctx.names.zookeeperHeadless,
      // Members must start together: none is ready before a quorum is.
      podManagementPolicy: 'Parallel',
      selector: { matchLabels: selectorLabels(name, 'zookeeper') },
      updateStrategy: { type: 'RollingUpdate' },
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Delete', whenScaled: 'Retain' },
      template: {
        metadata: {
          labels: podTemplateLabels(zk.pod, childLabels(name, 'zookeeper')),
          annotations: podTemplateAnnotations(zk.pod, { [ANNOTATION.configChecksum]: contentHash(podConfig) }),
        },
        spec: {
          securityContext: podSecurityContext(ZOOKEEPER_UID),
          enableServiceLinks: false,
          ...pullSecrets(pull.imagePullSecrets),
          ...podPlacement(zk.pod, name, 'zookeeper'),
          containers: [
            {
              name: 'zookeeper',
              image: zk.image,
              imagePullPolicy: pull.imagePullPolicy,
              command: ['bash', '-c', START_MEMBER],
              env: Object.entries(env).map(([key, value]) => ({ name: key, value })),
              ports: [
                { name: 'client', containerPort: ZOOKEEPER_PORT.client, protocol: 'TCP' },
                { name: 'peer', containerPort: ZOOKEEPER_PORT.peer, protocol: 'TCP' },
                { name: 'leader-election', containerPort: ZOOKEEPER_PORT.leaderElection, protocol: 'TCP' },
              ],
              resources: zk.resources,
              readinessProbe: { exec: { command: ['bash', '-c', SERVING] }, periodSeconds: 5, timeoutSeconds: 5 },
              livenessProbe: {
                exec: { command: ['bash', '-c', ALIVE] },
                initialDelaySeconds: 15,
                periodSeconds: 10,
                timeoutSeconds: 5,
              },
              volumeMounts: [{ name: DATA_VOLUME, mountPath: DATA_DIR }],
              // The entrypoint writes zoo.cfg into the image's /conf, so the root filesystem stays writable.
              securityContext: RESTRICTED_CONTAINER_SECURITY_CONTEXT,
            },
          ],
        },
      },
      volumeClaimTemplates: [
        {
          metadata: { name: DATA_VOLUME, labels: childLabels(name, 'zookeeper') },
          spec: {
            accessModes: ['ReadWriteOnce'],
            resources: { requests: { storage: zk.storage.size } },
            ...(zk.storage.storageClassName !== undefined ? { storageClassName: zk.storage.storageClassName } : {}),
          },
        },
      ],
    },
  };
}

/** The port clients (our servers and routers) use, on both ZooKeeper Services (a fresh object each time). */
const clientPort = (): { name: string; port: number; targetPort: string; protocol: string } =>
  ({ name: 'client', port: ZOOKEEPER_PORT.client, targetPort: 'client', protocol: 'TCP' });

export function desiredZooKeeperHeadlessService(ctx: CacheContext): Service | undefined {
  if (managed(ctx) === undefined) return undefined;
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: childMetadata(ctx, ctx.names.zookeeperHeadless, 'zookeeper'),
    spec: {
      clusterIP: 'None',
      // Members find each other before any of them is ready.
      publishNotReadyAddresses: true,
      selector: selectorLabels(ctx.cache.metadata.name, 'zookeeper'),
      ports: [
        clientPort(),
        { name: 'peer', port: ZOOKEEPER_PORT.peer, targetPort: 'peer', protocol: 'TCP' },
        { name: 'leader-election', port: ZOOKEEPER_PORT.leaderElection, targetPort: 'leader-election', protocol: 'TCP' },
      ],
    },
  };
}

export function desiredZooKeeperService(ctx: CacheContext): Service | undefined {
  if (managed(ctx) === undefined) return undefined;
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: childMetadata(ctx, ctx.names.zookeeper, 'zookeeper'),
    spec: {
      type: 'ClusterIP',
      selector: selectorLabels(ctx.cache.metadata.name, 'zookeeper'),
      ports: [clientPort()],
    },
  };
}

/** Only for an ensemble (3 or more members): keeps a quorum through voluntary disruptions. */
export function desiredZooKeeperPdb(ctx: CacheContext): PodDisruptionBudget | undefined {
  const zk = managed(ctx);
  if (zk === undefined || zk.replicas < 3) return undefined;
  const budget: V1PodDisruptionBudget['spec'] = {
    maxUnavailable: 1,
    selector: { matchLabels: selectorLabels(ctx.cache.metadata.name, 'zookeeper') },
  };
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: childMetadata(ctx, ctx.names.zookeeper, 'zookeeper'),
    spec: budget,
  };
}
