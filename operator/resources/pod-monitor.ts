// The PodMonitor (spec.monitoring): how a Prometheus run by the Prometheus
// Operator finds the cache's servers and routers and scrapes their /metrics.
// Its podTargetLabels are what the dashboard and the alerts group by (README
// "Monitoring"), so they are part of that contract.
import { APP_NAME, LABEL } from './names.js';
import type { ChildObject } from './child-kinds.js';
import { dataplanePodConfig, metricsPortNameOf } from './dataplane-pod.js';
import { childMetadata, type CacheContext } from './context.js';

export const POD_MONITOR_GROUP = 'monitoring.coreos.com';
export const POD_MONITOR_VERSION = 'v1';
export const POD_MONITOR_API_VERSION = `${POD_MONITOR_GROUP}/${POD_MONITOR_VERSION}`;
export const POD_MONITOR_KIND = 'PodMonitor';
export const POD_MONITOR_PLURAL = 'podmonitors';

/** The pod labels every scraped series carries (as app_kubernetes_io_instance and app_kubernetes_io_name). */
export const POD_TARGET_LABELS = [LABEL.instance, LABEL.name] as const;
export const METRICS_PATH = '/metrics';

/** The Prometheus Operator's SafeTLSConfig, as far as we fill it in. */
export interface ScrapeTlsConfig {
  ca?: { secret: { name: string; key: string } };
  serverName?: string;
  insecureSkipVerify?: boolean;
}

export interface PodMetricsEndpoint {
  port: string;
  path: string;
  scheme?: 'http' | 'https';
  tlsConfig?: ScrapeTlsConfig;
}

export interface PodMonitor extends ChildObject {
  spec: {
    selector: {
      matchLabels: Record<string, string>;
      matchExpressions: Array<{ key: string; operator: 'In'; values: string[] }>;
    };
    podMetricsEndpoints: PodMetricsEndpoint[];
    podTargetLabels: string[];
  };
}

/**
 * How Prometheus checks an HTTPS router. It scrapes pods by IP, so the name
 * to verify defaults to the client Service's, which the certificate for
 * status.endpoint carries; the CA and skipping verification are the user's call.
 */
function routerTlsConfig(ctx: CacheContext): ScrapeTlsConfig {
  const given = ctx.spec.monitoring.tlsConfig;
  return {
    ...(given?.caSecret !== undefined ? { ca: { secret: { name: given.caSecret.name, key: given.caSecret.key } } } : {}),
    serverName: given?.serverName ?? `${ctx.names.client}.${ctx.namespace}.svc`,
    ...(given?.insecureSkipVerify === true ? { insecureSkipVerify: true } : {}),
  };
}

/**
 * One endpoint per metrics port name (METRICS_PORT, /metrics alone, which the
 * NetworkPolicy opens to metricsFrom): servers always speak plain HTTP on
 * `metrics`; routers do too, or HTTPS only on `metrics-https` once spec.tls is
 * set. A pod without the named port yields no target for that endpoint.
 */
function endpointsOf(ctx: CacheContext): PodMetricsEndpoint[] {
  const endpoints: PodMetricsEndpoint[] = [{ port: metricsPortNameOf(dataplanePodConfig(ctx, 'server')), path: METRICS_PATH }];
  const routerPort = metricsPortNameOf(dataplanePodConfig(ctx, 'client'));
  if (routerPort === 'metrics-https') endpoints.push({ port: routerPort, path: METRICS_PATH, scheme: 'https', tlsConfig: routerTlsConfig(ctx) });
  return endpoints;
}

/** Undefined when spec.monitoring is off. Whether the cluster serves PodMonitors is the reconciler's question. */
export function desiredPodMonitor(ctx: CacheContext): PodMonitor | undefined {
  if (!ctx.spec.monitoring.enabled) return undefined;
  const instance = ctx.cache.metadata.name;
  // The metadata every child gets (propagated labels too, such as the `release` a
  // Prometheus may select PodMonitors by), minus the component label: it spans two.
  const metadata = childMetadata(ctx, ctx.names.podMonitor, 'server');
  const { [LABEL.component]: _oneComponent, ...labels } = metadata.labels ?? {};
  return {
    apiVersion: POD_MONITOR_API_VERSION,
    kind: POD_MONITOR_KIND,
    metadata: { ...metadata, labels },
    spec: {
      selector: {
        matchLabels: { [LABEL.name]: APP_NAME, [LABEL.instance]: instance },
        // Not ZooKeeper's pods: they serve no /metrics.
        matchExpressions: [{ key: LABEL.component, operator: 'In', values: ['server', 'client'] }],
      },
      podMetricsEndpoints: endpointsOf(ctx),
      podTargetLabels: [...POD_TARGET_LABELS],
    },
  };
}

/** Whether an observed object is this cache's own PodMonitor (never someone else's of the same name). */
export function isOwnedPodMonitor(object: ChildObject | undefined, cacheUid: string | undefined): object is ChildObject {
  return object?.metadata.ownerReferences?.some((ref) => ref.controller === true && ref.uid === cacheUid) === true;
}
