// The NetworkPolicies (ingress only) that fence a cache's pods: servers take
// their port only from this cache's routers and servers, ZooKeeper only from
// this cache's pods and its own members, routers their public port from
// anyone unless spec.networkPolicy.clientFrom narrows it. metricsFrom may
// reach the data plane's metrics port (METRICS_PORT: /metrics alone), and
// nothing else. Kubelet probes are not subject to NetworkPolicy in common
// CNIs, so they need no rule.
import type { V1NetworkPolicyPeer, V1NetworkPolicyPort } from '@kubernetes/client-node';
import { DEFAULT_PORT, OPERATOR_METRICS_PORT } from '../../dataplane/config/contract.js';
import type { NetworkPeer } from '../api/distributed-cache.js';
import type { NetworkPolicy, NetworkPolicyIngressRule } from './child-kinds.js';
import { childMetadata, type CacheContext } from './context.js';
import { ZOOKEEPER_PORT, selectorLabels, type Component } from './names.js';

const tcp = (...ports: number[]): V1NetworkPolicyPort[] => ports.map((port) => ({ protocol: 'TCP', port }));

/** Pods of one component of this cache, in its namespace. */
const podsOf = (ctx: CacheContext, component: Component): V1NetworkPolicyPeer => ({
  podSelector: { matchLabels: selectorLabels(ctx.cache.metadata.name, component) },
});

/** A fresh copy, so that no two objects share a user's peer. */
const copy = (peers: readonly NetworkPeer[]): V1NetworkPolicyPeer[] => structuredClone([...peers]) as V1NetworkPolicyPeer[];

function policy(ctx: CacheContext, name: string, component: Component, ingress: NetworkPolicyIngressRule[]): NetworkPolicy {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: childMetadata(ctx, name, component),
    spec: {
      podSelector: { matchLabels: selectorLabels(ctx.cache.metadata.name, component) },
      // Ingress only: egress (to ZooKeeper, servers, DNS) stays open.
      policyTypes: ['Ingress'],
      ingress,
    },
  };
}

/** A rule for metricsFrom, or none when it is empty (an empty `from` would admit everyone). */
function metricsRule(ctx: CacheContext): NetworkPolicyIngressRule[] {
  const peers = ctx.spec.networkPolicy.metricsFrom;
  return peers.length === 0 ? [] : [{ from: copy(peers), ports: tcp(OPERATOR_METRICS_PORT) }];
}

export function desiredServerNetworkPolicy(ctx: CacheContext): NetworkPolicy | undefined {
  if (!ctx.spec.networkPolicy.enabled) return undefined;
  const port = DEFAULT_PORT.server;
  return policy(ctx, ctx.names.server, 'server', [
    { from: [podsOf(ctx, 'client'), podsOf(ctx, 'server')], ports: tcp(port) },
    ...metricsRule(ctx),
  ]);
}

export function desiredRouterNetworkPolicy(ctx: CacheContext): NetworkPolicy | undefined {
  const { enabled, clientFrom } = ctx.spec.networkPolicy;
  if (!enabled) return undefined;
  const port = DEFAULT_PORT.client;
  // Left out, `from` admits anyone to the public port.
  const rules: NetworkPolicyIngressRule[] =
    clientFrom === undefined ? [{ ports: tcp(port) }] : clientFrom.length === 0 ? [] : [{ from: copy(clientFrom), ports: tcp(port) }];
  return policy(ctx, ctx.names.client, 'client', [...rules, ...metricsRule(ctx)]);
}

/** Only for an ensemble the operator runs; ZooKeeper serves no metrics port (its admin server is off). */
export function desiredZooKeeperNetworkPolicy(ctx: CacheContext): NetworkPolicy | undefined {
  if (!ctx.spec.networkPolicy.enabled || ctx.spec.zookeeper.mode !== 'managed') return undefined;
  return policy(ctx, ctx.names.zookeeper, 'zookeeper', [
    { from: [podsOf(ctx, 'server'), podsOf(ctx, 'client')], ports: tcp(ZOOKEEPER_PORT.client) },
    { from: [podsOf(ctx, 'zookeeper')], ports: tcp(ZOOKEEPER_PORT.client, ZOOKEEPER_PORT.peer, ZOOKEEPER_PORT.leaderElection) },
  ]);
}
