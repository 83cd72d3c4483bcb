// A LocalCluster whose servers and routers each run on a host of a network
// lab (lab/lab.ts): server-n on host `sn`, the nth router on `rn`, ZooKeeper
// in the root namespace on the lab's ZooKeeper address. The test process
// reaches every one of them, and the lab can cut any pair.
import { LocalCluster } from './cluster.js';
import type { DataplaneProcess } from './dataplane-process.js';
import { NetnsLab, ZOOKEEPER } from './lab/lab.js';

export interface LabCluster {
  lab: NetnsLab;
  cluster: LocalCluster;
  /** The lab host a process runs on. */
  hostOf(process: DataplaneProcess): string;
  /** Stops every process, then removes the lab. */
  stop(): Promise<void>;
}

export const serverHost = (n: number): string => `s${n}`;
export const routerHost = (n: number): string => `r${n}`;

/** ZooKeeper, `servers` servers and `routers` routers, each router seeing every server serving. */
export async function startLabCluster(
  { servers, routers = 2, env = {} }: { servers: number; routers?: number; env?: Record<string, string> },
): Promise<LabCluster> {
  const names = [...Array.from({ length: servers }, (_, i) => serverHost(i + 1)), ...Array.from({ length: routers }, (_, i) => routerHost(i + 1))];
  const lab = await NetnsLab.create(names);
  const site = (host: string): { netns: string; address: string } => ({ netns: lab.netns(host), address: lab.address(host) });
  let cluster: LocalCluster | undefined;
  try {
    cluster = await LocalCluster.start({
      servers, env,
      sites: { zookeeperHost: lab.address(ZOOKEEPER), server: (n) => site(serverHost(n)), client: (n) => site(routerHost(n)) },
    });
    for (let n = 2; n <= routers; n++) {
      const router = await cluster.addClient();
      await cluster.waitForMembers(servers, 'serving', router);
    }
  } catch (error) {
    await cluster?.stop();
    await lab.destroy();
    throw error;
  }
  const started = cluster;
  return {
    lab,
    cluster: started,
    hostOf(process) {
      const host = lab.hosts.find((h) => lab.address(h) === process.host);
      if (!host) throw new Error(`${process.address} runs on no lab host`);
      return host;
    },
    async stop() {
      await started.stop();
      await lab.destroy();
    },
  };
}
