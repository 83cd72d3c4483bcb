// The DistributedCache API (cache.distributed.dev/v1alpha1): its schema, from
// which both the CRD in crds/ and the TypeScript types below are derived.
// The defaults and bounds of fields that are data plane settings come from its
// process contract, so the two cannot drift apart.
import {
  BYTE_SIZE_PATTERN,
  DEFAULT_DRAIN_TIMEOUT_SECONDS,
  DEFAULT_MAX_MEMORY,
  DEFAULT_PORT,
  DEFAULT_REPLICATION_FACTOR,
  LOG_LEVELS,
  MAX_MEMORY_FLOOR,
  REPLICATION_FACTOR_RANGE,
  ZK_CONNECT_PATTERN,
} from '../../dataplane/config/contract.js';
import {
  arrayOf,
  boolean,
  integer,
  intOrString,
  mapOf,
  object,
  oneOf,
  string,
  type DefaultedOf,
  type InputOf,
} from './schema.js';
import { peersOf } from './network-peer.js';
import { POD_SETTING_FIELDS, podSettingsProperties } from './pod-settings.js';

export const GROUP = 'cache.distributed.dev';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;
export const KIND = 'DistributedCache';
export const LIST_KIND = 'DistributedCacheList';
export const PLURAL = 'distributedcaches';
export const SINGULAR = 'distributedcache';
export const SHORT_NAMES = ['dcache'] as const;
export const CATEGORIES = ['all'] as const;
export const CRD_NAME = `${PLURAL}.${GROUP}`;

/**
 * The longest name a DistributedCache may have: its StatefulSet `N-zookeeper`
 * labels its pods with `controller-revision-hash: N-zookeeper-<10 chars>`,
 * which must fit in a 63-character label value.
 */
export const MAX_NAME_LENGTH = 42;

/** Kubernetes' own quantity syntax (as in the built-in types' OpenAPI). */
const QUANTITY_PATTERN =
  '^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$';

const MAX_REPLICAS = 100;

/**
 * spec.servers.placement, weakest first (as the data plane orders them; a unit
 * test checks the two agree): over distinct servers, nodes, or zones.
 */
export const PLACEMENT_MODES = ['none', 'node', 'zone'] as const;
export type PlacementMode = (typeof PLACEMENT_MODES)[number];

/** spec.zookeeper fields that shape the ensemble the operator runs, so meaningless beside connectString. */
const MANAGED_ZOOKEEPER_FIELDS = ['image', 'storage', 'resources', ...POD_SETTING_FIELDS] as const;

/** An object name such as a Secret's (RFC 1123 subdomain). */
const DNS_SUBDOMAIN_PATTERN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';

function resources(description: string) {
  const quantities = (what: string) =>
    mapOf(intOrString({ description: 'A Kubernetes quantity.', pattern: QUANTITY_PATTERN }), {
      description: `${what}, by resource name (cpu, memory).`,
    });
  return object({
    description,
    properties: {
      limits: quantities('The most the container may use'),
      requests: quantities('What the scheduler reserves for the container'),
    },
  });
}

function autoscaling(who: string, defaults: { min: number; max: number }, path: string) {
  return object({
    description: `A HorizontalPodAutoscaler (autoscaling/v2) for the ${who}, on their average CPU utilisation, and memory utilisation when targetMemoryUtilizationPercentage is set.`,
    default: {},
    properties: {
      enabled: boolean({ description: `Whether an HPA scales the ${who}.`, default: false }),
      minReplicas: integer({
        description: `The fewest ${who} the HPA keeps.`,
        format: 'int32',
        minimum: 1,
        maximum: MAX_REPLICAS,
        default: defaults.min,
      }),
      maxReplicas: integer({
        description: `The most ${who} the HPA creates.`,
        format: 'int32',
        minimum: 1,
        maximum: MAX_REPLICAS,
        default: defaults.max,
      }),
      targetCPUUtilizationPercentage: integer({
        description: 'The average CPU utilisation, in percent of the CPU request, that the HPA aims for.',
        format: 'int32',
        minimum: 1,
        maximum: 100,
        default: 70,
      }),
      targetMemoryUtilizationPercentage: integer({
        description:
          'The average memory utilisation, in percent of the memory request, that the HPA aims for, beside CPU (the HPA follows whichever metric wants more pods). Left out: CPU only. ' +
          'Keep it below the share of the request at which servers start evicting (docs/operator.md, "Autoscaling on memory").',
        format: 'int32',
        minimum: 1,
        maximum: 100,
      }),
      scaleDownStabilizationWindowSeconds: integer({
        description:
          `How long the HPA looks back before it removes ${who}: it scales down only to the highest count it wanted in this window. ` +
          "Kubernetes' own default; shorten it where load is known to drop for good.",
        format: 'int32',
        minimum: 0,
        maximum: 3600,
        default: 300,
      }),
    },
    rules: [
      {
        // The API server also checks rules against a bare default ({}), hence has().
        rule: '!has(self.minReplicas) || !has(self.maxReplicas) || self.minReplicas <= self.maxReplicas',
        message: `${path}.minReplicas must not be greater than ${path}.maxReplicas`,
        fieldPath: '.minReplicas',
      },
    ],
  });
}

/**
 * HPA on a resource needs a request of it, when the user sets resources at
 * all (left out, the operator's defaults request both). `self` is the object
 * holding both the autoscaling block and the tier.
 */
function requestRule(resource: 'cpu' | 'memory', autoscalingField: string, tierField: string, tier: string) {
  const on = `has(self.${autoscalingField}) && has(self.${autoscalingField}.enabled) && self.${autoscalingField}.enabled`;
  // CPU is always a target; memory only when its target is set.
  const enabled = resource === 'cpu' ? on : `${on} && has(self.${autoscalingField}.targetMemoryUtilizationPercentage)`;
  const resources = tierField === '' ? 'self.resources' : `self.${tierField}.resources`;
  const hasResources = tierField === '' ? 'has(self.resources)' : `has(self.${tierField}) && has(${resources})`;
  const what = resource === 'cpu' ? 'CPU' : 'Memory';
  return {
    rule: `!(${enabled}) || !(${hasResources}) || (has(${resources}.requests) && '${resource}' in ${resources}.requests)`,
    message: `${what} autoscaling of the ${tier} needs spec.${tier}.resources.requests.${resource} (the HPA measures utilisation against it); set it, or leave spec.${tier}.resources out to get the operator's defaults`,
  };
}

/** Keys of the cache's own labels or annotations that its children carry too (operator/resources/propagation.ts). */
function propagationList(what: 'label' | 'annotation', always: string) {
  return arrayOf(
    string({
      description: `A ${what} key (e.g. team), or a prefix ending in / (e.g. billing.example.com/) that matches every key under it.`,
      minLength: 1,
      maxLength: 317,
    }),
    {
      description:
        `Which of this DistributedCache's own ${what}s every object the operator creates carries too (in its metadata; pod templates take spec.<tier>.pod${what === 'label' ? 'Labels' : 'Annotations'} instead, so that editing the cache never rolls its pods). ${always} ` +
        "Never copied: the operator's own labels, cache.distributed.dev/, kubectl.kubernetes.io/ (last-applied) and meta.helm.sh/ keys.",
      maxItems: 32,
    },
  );
}

export const specSchema = object({
  description: 'The desired state of a DistributedCache: its data plane tiers and the ZooKeeper ensemble they coordinate through.',
  properties: {
    image: string({
      description:
        'The data plane image (it runs both `server` and `client`). Defaults to the operator\'s own release image (its DATAPLANE_IMAGE).',
      minLength: 1,
    }),
    imagePullPolicy: oneOf(['Always', 'IfNotPresent', 'Never'] as const, {
      description: 'The pull policy of every pod the operator runs (data plane and ZooKeeper).',
      default: 'IfNotPresent',
    }),
    imagePullSecrets: arrayOf(
      object({
        description: 'A Secret of type kubernetes.io/dockerconfigjson in the cache\'s namespace.',
        properties: { name: string({ description: 'The Secret\'s name.', minLength: 1 }) },
        required: ['name'],
      }),
      { description: 'Registry credentials for every pod the operator runs (data plane and ZooKeeper).', mapKeys: ['name'] },
    ),
    logLevel: oneOf(LOG_LEVELS, { description: 'The pino log level of the data plane pods.', default: 'info' }),
    replicationFactor: integer({
      description: 'Copies of each key, held on different servers; capped by the number of live servers.',
      format: 'int32',
      minimum: REPLICATION_FACTOR_RANGE.min,
      maximum: REPLICATION_FACTOR_RANGE.max,
      default: DEFAULT_REPLICATION_FACTOR,
    }),
    servers: object({
      description: 'The cache servers, which hold the keys (a Deployment named <name>-server).',
      default: {},
      properties: {
        replicas: integer({
          description:
            'How many servers. This is the field behind the scale subresource, so `kubectl scale` and the HPA change it.',
          format: 'int32',
          minimum: 0,
          maximum: MAX_REPLICAS,
          default: 3,
        }),
        maxMemory: string({
          description: "Each server's LRU bound on stored bytes (MAX_MEMORY), e.g. 256Mi or 1Gi.",
          pattern: BYTE_SIZE_PATTERN,
          default: DEFAULT_MAX_MEMORY,
          rules: [
            {
              rule: `quantity(self).compareTo(quantity('${MAX_MEMORY_FLOOR}')) >= 0`,
              message: `spec.servers.maxMemory must be at least ${MAX_MEMORY_FLOOR}`,
            },
          ],
        }),
        maxEntries: integer({
          description: "An optional bound on each server's number of keys (MAX_ENTRIES).",
          format: 'int64',
          minimum: 1,
        }),
        drainTimeoutSeconds: integer({
          description:
            'The longest hand-off of keys when a server stops (DRAIN_TIMEOUT). Pods get 15 s more than this to terminate.',
          format: 'int32',
          minimum: 1,
          maximum: 3600,
          default: DEFAULT_DRAIN_TIMEOUT_SECONDS,
        }),
        resources: resources(
          "Each server's CPU and memory. When left out: a 250m CPU request, and memory of 1.5 x maxMemory + 128Mi as request and limit.",
        ),
        placement: oneOf(PLACEMENT_MODES, {
          description:
            "How the copies of each key are spread (the servers' PLACEMENT). zone: in distinct zones (the node's topology.kubernetes.io/zone) while there are zones to spare, then on distinct nodes, then on distinct servers, so that losing a whole zone loses no key when replicationFactor is at least 2 and the servers span at least that many zones. " +
            'node: on distinct nodes, then distinct servers, ignoring zones. none: on distinct servers only. ' +
            "Changing it rolls the server Deployment, and the keys move to their new owners as in any ring change; until every router runs this operator's release, servers run with none (the routers of earlier releases know no other rule). " +
            'The ZoneSafe condition says whether a zone can be lost now (docs/operator.md, "Zones").',
          default: 'zone',
        }),
        ...podSettingsProperties(
          'spec.servers',
          'servers',
          'servers spread across zones (topology.kubernetes.io/zone) and across nodes (kubernetes.io/hostname), maxSkew 1, ScheduleAnyway, counting the pods of the current pod template (matchLabelKeys pod-template-hash)',
        ),
      },
    }),
    clients: object({
      description: 'The routers, which serve the public HTTP API (a Deployment and a Service named <name>-client).',
      default: {},
      properties: {
        replicas: integer({
          description: 'How many routers, while clients.autoscaling is off (the HPA decides when it is on).',
          format: 'int32',
          minimum: 0,
          maximum: MAX_REPLICAS,
          default: 1,
        }),
        resources: resources("Each router's CPU and memory. When left out: 100m CPU and 128Mi memory requested, 256Mi memory limit."),
        service: object({
          description: 'The Service in front of the routers.',
          default: {},
          properties: {
            type: oneOf(['ClusterIP', 'NodePort', 'LoadBalancer'] as const, {
              description: 'The Service type.',
              default: 'ClusterIP',
            }),
            port: integer({ description: 'The Service port.', format: 'int32', minimum: 1, maximum: 65535, default: DEFAULT_PORT.client }),
            nodePort: integer({
              description: 'A fixed node port (type NodePort or LoadBalancer); allocated by Kubernetes when left out.',
              format: 'int32',
              minimum: 30000,
              maximum: 32767,
            }),
            annotations: mapOf(string({ description: 'An annotation value.' }), {
              description:
                "Annotations on the Service, e.g. a cloud load balancer's settings (service.beta.kubernetes.io/aws-load-balancer-internal).",
            }),
          },
          rules: [
            {
              rule: "!has(self.nodePort) || (has(self.type) && self.type != 'ClusterIP')",
              message: 'spec.clients.service.nodePort needs spec.clients.service.type NodePort or LoadBalancer',
              fieldPath: '.nodePort',
            },
          ],
        }),
        autoscaling: autoscaling('routers', { min: 1, max: 5 }, 'spec.clients.autoscaling'),
        ...podSettingsProperties('spec.clients', 'routers', 'routers spread across nodes (kubernetes.io/hostname), maxSkew 1, ScheduleAnyway'),
      },
      rules: [requestRule('cpu', 'autoscaling', '', 'clients'), requestRule('memory', 'autoscaling', '', 'clients')],
    }),
    zookeeper: object({
      description:
        'The ZooKeeper ensemble the data plane registers in: one the operator runs (<name>-zookeeper), or an existing one named by connectString.',
      default: {},
      properties: {
        connectString: string({
          description: 'An existing ensemble, as host:port[,host:port...][/chroot]. The operator then runs none.',
          pattern: ZK_CONNECT_PATTERN,
        }),
        replicas: integer({
          description: 'Members of the ensemble the operator runs: 1, 3, 5 or 7. Defaults to 1 when connectString is not set.',
          format: 'int32',
          minimum: 1,
          maximum: 7,
          rules: [
            {
              rule: 'self % 2 == 1',
              message: 'spec.zookeeper.replicas must be odd (1, 3, 5 or 7): an even ensemble survives no more failures than the odd one below it',
            },
          ],
        }),
        image: string({
          description: 'The ZooKeeper image, which must behave like the official `zookeeper` image. Defaults to zookeeper:3.9.',
          minLength: 1,
        }),
        storage: object({
          description: "Each member's PersistentVolumeClaim. Fixed once set: a StatefulSet's volume claims cannot change.",
          properties: {
            size: string({ description: 'The claim size.', pattern: QUANTITY_PATTERN, default: '1Gi' }),
            storageClassName: string({ description: 'The StorageClass; the cluster default when left out.', minLength: 1 }),
          },
          rules: [
            {
              rule: 'self == oldSelf',
              message:
                'spec.zookeeper.storage cannot change once set (a StatefulSet\'s volume claims are immutable); create a new DistributedCache to change it',
            },
          ],
        }),
        resources: resources(
          "Each member's CPU and memory. When left out: 100m CPU and 384Mi memory requested, 512Mi memory limit. The JVM heap (ZK_SERVER_HEAP) is half the memory limit (half the request without a limit, at least 64Mi; 256Mi with neither).",
        ),
        ...podSettingsProperties(
          'spec.zookeeper',
          'ZooKeeper members',
          'members spread across nodes (kubernetes.io/hostname), maxSkew 1, ScheduleAnyway',
        ),
      },
      rules: [
        {
          rule: '!(has(self.connectString) && has(self.replicas))',
          message:
            'spec.zookeeper: set either connectString (an existing ensemble) or replicas (an ensemble the operator runs), not both',
        },
        {
          rule: `!has(self.connectString) || !(${MANAGED_ZOOKEEPER_FIELDS.map((field) => `has(self.${field})`).join(' || ')})`,
          message: `spec.zookeeper.${MANAGED_ZOOKEEPER_FIELDS.join(', ')} apply only to an ensemble the operator runs; remove them when connectString is set`,
        },
      ],
    }),
    autoscaling: autoscaling('servers', { min: 3, max: 10 }, 'spec.autoscaling'),
    auth: object({
      description: 'Client authentication on the public API (off unless secretRef is set).',
      properties: {
        secretRef: object({
          description:
            "A Secret in the cache's namespace whose key `tokens` holds the accepted bearer tokens, one per line (at least 16 printable characters each; # starts a comment). Routers then answer 401 to a request without `Authorization: Bearer <token>`; /healthz, /readyz and /metrics stay open. Edits apply without a restart.",
          required: ['name'],
          properties: { name: string({ description: 'The Secret name.', minLength: 1, maxLength: 253 }) },
        }),
      },
    }),
    tls: object({
      description: 'TLS on the public API (off unless secretName is set).',
      required: ['secretName'],
      properties: {
        secretName: string({
          description:
            "A Secret of type kubernetes.io/tls in the cache's namespace (keys tls.crt and tls.key), such as cert-manager writes. Routers then serve HTTPS only on their port, probes and /metrics included, and load a renewed certificate with no restart. While the Secret is missing, routers cannot start and the Degraded condition says so.",
          minLength: 1,
          maxLength: 253,
          pattern: DNS_SUBDOMAIN_PATTERN,
        }),
      },
    }),
    monitoring: object({
      description:
        "Metrics scraping by the Prometheus Operator. When enabled and the cluster serves monitoring.coreos.com/v1 PodMonitors, the operator keeps a PodMonitor named after the cache over its server and router pods; when that API is missing, the MonitoringReady condition says so and the rest of the cache is unaffected.",
      properties: {
        enabled: boolean({ description: 'Whether the operator creates the PodMonitor.', default: false }),
        tlsConfig: object({
          description:
            "How Prometheus verifies the routers' certificate when spec.tls is set (routers then serve /metrics over HTTPS only). Left out: it verifies against its own trusted CAs, which a private CA fails.",
          properties: {
            caSecret: object({
              description: "A Secret in the cache's namespace holding the CA that signed the routers' certificate (cert-manager writes it as ca.crt beside tls.crt).",
              required: ['name'],
              properties: {
                name: string({ description: 'The Secret name.', minLength: 1, maxLength: 253, pattern: DNS_SUBDOMAIN_PATTERN }),
                key: string({ description: 'The key holding the CA certificate (PEM).', minLength: 1, default: 'ca.crt' }),
              },
            }),
            serverName: string({
              description:
                "The name the routers' certificate must carry. Defaults to the client Service's DNS name, <name>-client.<namespace>.svc, since Prometheus scrapes pods by IP.",
              minLength: 1,
              maxLength: 253,
            }),
            insecureSkipVerify: boolean({
              description: "Scrape the routers without verifying their certificate at all. Only if you accept that; off by default.",
              default: false,
            }),
          },
        }),
      },
    }),
    propagateLabels: propagationList('label', 'app.kubernetes.io/part-of is always copied.'),
    propagateAnnotations: propagationList('annotation', 'None is copied unless listed.'),
    networkPolicy: object({
      description:
        'NetworkPolicies (ingress) for the cache pods: servers take traffic only from this cache\'s routers and servers, ZooKeeper only from this cache\'s pods and its members, routers from anywhere or clientFrom.',
      default: {},
      properties: {
        enabled: boolean({ description: 'Whether the operator creates the NetworkPolicies.', default: true }),
        clientFrom: peersOf(
          "Who may reach the routers' public port. Left out: anyone. An empty list: only metricsFrom.",
        ),
        metricsFrom: peersOf(
          'Who may reach the metrics port (9464, which serves /metrics alone on every data plane pod), and no other port. Left out: pods labelled app.kubernetes.io/name=prometheus in any namespace. An empty list: nobody.',
        ),
      },
    }),
  },
  rules: [requestRule('cpu', 'autoscaling', 'servers', 'servers'), requestRule('memory', 'autoscaling', 'servers', 'servers')],
});

const conditionSchema = object({
  description: 'A condition, as in the Kubernetes API conventions.',
  required: ['type', 'status', 'reason', 'message', 'lastTransitionTime'],
  properties: {
    type: string({ description: 'Ready, Replicated, Progressing, Degraded, ZoneSafe, or MonitoringReady.', maxLength: 316 }),
    status: oneOf(['True', 'False', 'Unknown'] as const, { description: 'Whether the condition holds.' }),
    reason: string({ description: 'A CamelCase word for why, for programs.', maxLength: 1024 }),
    message: string({ description: 'Why, for people.', maxLength: 32768 }),
    observedGeneration: integer({
      description: 'The metadata.generation this condition was computed from.',
      format: 'int64',
      minimum: 0,
    }),
    lastTransitionTime: string({ description: 'When status last changed.', format: 'date-time' }),
  },
});

const readyReplicas = (who: string) =>
  integer({ description: `${who} whose pods are ready.`, format: 'int32', minimum: 0 });

export const statusSchema = object({
  description: 'The observed state of a DistributedCache, written by the operator.',
  properties: {
    observedGeneration: integer({
      description: 'The metadata.generation the operator last acted on.',
      format: 'int64',
      minimum: 0,
    }),
    replicas: integer({ description: 'Server pods that exist (the scale subresource reads this).', format: 'int32', minimum: 0 }),
    readyReplicas: readyReplicas('Servers'),
    selector: string({ description: "The server pods' label selector (the HPA finds their metrics with it)." }),
    clients: object({ description: 'The routers.', properties: { readyReplicas: readyReplicas('Routers') } }),
    zookeeper: object({
      description: 'The ZooKeeper ensemble.',
      properties: {
        readyReplicas: readyReplicas('Members of the ensemble the operator runs'),
        connectString: string({ description: 'The ZK_CONNECT the data plane uses.' }),
      },
    }),
    endpoint: string({ description: 'The URL of the public API inside the cluster (the client Service).' }),
    conditions: arrayOf(conditionSchema, {
      description: 'Ready (the cache serves with every desired pod ready), Replicated (every key has its copies), Progressing (a change is rolling out), Degraded (something needs attention) and ZoneSafe (a whole zone can be lost with no key); MonitoringReady (its PodMonitor is in place) while spec.monitoring.enabled is true.',
      maxItems: 8,
      mapKeys: ['type'],
    }),
  },
});

/** The spec as a user writes it. */
export type DistributedCacheSpec = InputOf<typeof specSchema>;
/** The spec after the API server has applied the schema's defaults. */
export type DefaultedSpec = DefaultedOf<typeof specSchema>;
export type DistributedCacheStatus = InputOf<typeof statusSchema>;
export type Condition = InputOf<typeof conditionSchema>;
export type ConditionStatus = Condition['status'];
export type ResourceRequirements = InputOf<ReturnType<typeof resources>>;
export type ServiceType = DefaultedSpec['clients']['service']['type'];
export type { NetworkPeer } from './network-peer.js';

export interface ObjectMeta {
  name: string;
  namespace: string;
  uid?: string;
  generation?: number;
  resourceVersion?: string;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface DistributedCache {
  apiVersion: typeof API_VERSION;
  kind: typeof KIND;
  metadata: ObjectMeta;
  spec?: DistributedCacheSpec;
  status?: DistributedCacheStatus;
}
