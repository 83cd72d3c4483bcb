// Smart clients (client/) for integration tests, connected to a LocalCluster
// the two ways an application can: through a router's ring, or ZooKeeper's.
import { CacheClient, type CacheClientOptions } from '../../client/src/index.js';
import type { LocalCluster } from './cluster.js';
import { TEST_CLUSTER_TOKEN } from './cluster-token.js';

type Extra = Partial<Omit<CacheClientOptions, 'ring'>>;

/** Follows the ring through the cluster's first router, polled every 200 ms unless told otherwise. */
export function viaRouter(cluster: LocalCluster, extra: Extra & { pollIntervalMs?: number } = {}): Promise<CacheClient> {
  const { pollIntervalMs = 200, ...rest } = extra;
  return CacheClient.connect({ ring: { router: cluster.client.url, pollIntervalMs }, clusterToken: TEST_CLUSTER_TOKEN, ...rest });
}

/** Follows the ring through ZooKeeper, with the test processes' 2 s session. */
export function viaZooKeeper(cluster: LocalCluster, extra: Extra = {}): Promise<CacheClient> {
  return CacheClient.connect({
    ring: { zookeeper: cluster.zookeeper.connectString, cacheName: cluster.cacheName, replicationFactor: 2, sessionTimeoutMs: 2000 },
    clusterToken: TEST_CLUSTER_TOKEN,
    ...extra,
  });
}
