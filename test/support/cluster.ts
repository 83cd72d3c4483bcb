// A whole local cache for integration tests: a real ZooKeeper (one member, or
// an ensemble), N real servers and a real client (router), each a separate
// process on loopback, or each on a host of a network lab (lab-cluster.ts).
import { randomBytes } from 'node:crypto';
import type { RingDescription } from '../../dataplane/ring/ring-view.js';
import { DataplaneProcess, type ProcessSite } from './dataplane-process.js';
import { waitFor } from './wait.js';
import { ZooKeeperServer } from './zookeeper.js';

/** Where the processes run when not on loopback: hosts of a network lab (lab-cluster.ts). */
export interface ClusterSites {
  /** The address ZooKeeper listens on. */
  zookeeperHost: string;
  /** The host of server-n, and of the nth router (both counted from 1). */
  server(n: number): ProcessSite;
  client(n: number): ProcessSite;
}

export class LocalCluster {
  readonly servers: DataplaneProcess[] = [];
  readonly clients: DataplaneProcess[] = [];
  private nextServer = 1;

  private constructor(
    readonly zookeepers: ZooKeeperServer[],
    readonly cacheName: string,
    readonly env: Record<string, string>,
    private readonly sites?: ClusterSites,
  ) {}

  /** The first (or only) ZooKeeper member. */
  get zookeeper(): ZooKeeperServer {
    return this.zookeepers[0] as ZooKeeperServer;
  }

  /** Every member, as the processes are given them. */
  get zkConnect(): string {
    return this.zookeepers.map((z) => z.connectString).join(',');
  }

  /**
   * Starts ZooKeeper, `servers` servers and one client, and waits until the client sees them all.
   * `main`: the entry point they run, when not this checkout's (an earlier release's, previous-release.ts).
   * `zookeeperMembers`: more than 1 runs an ensemble.
   * `sites`: lab hosts to run on instead of loopback (one ZooKeeper only).
   */
  static async start(
    { servers = 3, env = {}, main, zookeeperMembers = 1, sites }:
      { servers?: number; env?: Record<string, string>; main?: string; zookeeperMembers?: number; sites?: ClusterSites } = {},
  ): Promise<LocalCluster> {
    if (sites && zookeeperMembers > 1) throw new Error('a ZooKeeper ensemble runs on loopback only');
    const zookeepers = zookeeperMembers > 1
      ? await ZooKeeperServer.startEnsemble(zookeeperMembers)
      : [await ZooKeeperServer.start(undefined, sites ? { host: sites.zookeeperHost } : {})];
    const cluster = new LocalCluster(zookeepers, `it-${randomBytes(4).toString('hex')}`, env, sites);
    try {
      await Promise.all(Array.from({ length: servers }, () => cluster.addServer({}, { main })));
      await cluster.addClient({}, { main });
      await cluster.waitForMembers(servers);
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  get liveServers(): DataplaneProcess[] {
    return this.servers.filter((s) => s.running);
  }

  get client(): DataplaneProcess {
    return this.clients[0] as DataplaneProcess;
  }

  /** `main`: another entry point than this checkout's, e.g. an earlier release's (DataplaneOptions.main). */
  async addServer(env: Record<string, string> = {}, { main }: { main?: string } = {}): Promise<DataplaneProcess> {
    const n = this.nextServer++;
    const server = await DataplaneProcess.start({
      role: 'server', zkConnect: this.zkConnect, cacheName: this.cacheName,
      nodeId: `server-${n}`, env: { ...this.env, ...env }, main, site: this.sites?.server(n),
    });
    this.servers.push(server);
    return server;
  }

  async addClient(env: Record<string, string> = {}, { main }: { main?: string } = {}): Promise<DataplaneProcess> {
    const client = await DataplaneProcess.start(
      { role: 'client', zkConnect: this.zkConnect, cacheName: this.cacheName, env: { ...this.env, ...env }, main, site: this.sites?.client(this.clients.length + 1) },
      { waitReady: false },
    );
    this.clients.push(client);
    return client;
  }

  async ring(via: DataplaneProcess = this.client): Promise<RingDescription> {
    const response = await fetch(`${via.url}/api/ring`);
    return (await response.json()) as RingDescription;
  }

  /** Waits until the client's ring lists exactly `count` members in the given state. */
  async waitForMembers(count: number, state = 'serving', via: DataplaneProcess = this.client): Promise<RingDescription> {
    return waitFor(`${count} ${state} members in the ring`, async () => {
      const ring = await this.ring(via);
      const matching = ring.members.filter((m) => m.state === state).length;
      return matching === count && ring.members.length === count ? ring : undefined;
    }, { timeoutMs: 30_000 });
  }

  async stop(): Promise<void> {
    await Promise.all(this.clients.map((c) => c.kill()));
    await Promise.all(this.servers.map((s) => s.kill()));
    await Promise.all(this.zookeepers.map((z) => z.destroy()));
  }
}
