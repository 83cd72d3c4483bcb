// A network lab for one test: loopback cannot be partitioned, so each "host"
// gets a network namespace of its own and the lab comes between them
// (README "Tests", "Network lab").
//
//   root namespace           lab hub namespace          host namespaces
//   dcl<n>: .254 (test)  ─── up0 ─┐
//           .253 (ZooKeeper)      br0 ─ h1 ───────────── eth0 10.213.n.1  (dcl<n>-<name>)
//                                 └──── h2 ───────────── eth0 10.213.n.2  ...
//
// The hub holds only a bridge, so every host and the root end share one
// subnet (10.213.n.0/24) and reach each other directly; the test process,
// in the root namespace, reaches every host. ZooKeeper runs in the root
// namespace too, on an address of its own, so a host can be cut from it
// without being cut from the test (and so from the smart clients it runs).
import { Faults, prepareHost, type Endpoint } from './faults.js';
import { removeLab, removeLeftoverLabs } from './leftovers.js';
import { addressIn, netnsPrefix, rootLink, subnetOf } from './names.js';
import { inNetns, run } from './run.js';
import { claimLabNumber } from './slot.js';

/** The test process's own address: connections it opens come from here. */
export const TEST = 'test';
/** The address ZooKeeper listens on (ZooKeeperServer.start({ host })). */
export const ZOOKEEPER = 'zookeeper';

export class NetnsLab {
  readonly faults: Faults;
  private destroyed = false;

  private constructor(readonly n: number, private readonly endpoints: ReadonlyMap<string, Endpoint>) {
    this.faults = new Faults(endpoints);
  }

  /** Builds the lab with one host per name (lower-case letters, digits and dashes). */
  static async create(hostNames: readonly string[]): Promise<NetnsLab> {
    for (const name of hostNames) {
      if (!/^[a-z][a-z0-9-]{0,20}$/.test(name) || name === 'hub' || name === TEST || name === ZOOKEEPER) throw new Error(`bad lab host name ${name}`);
    }
    if (new Set(hostNames).size !== hostNames.length || hostNames.length > 200) throw new Error('lab host names must be distinct, at most 200');
    await removeLeftoverLabs();
    const n = await claimLabNumber();
    const endpoints = new Map<string, Endpoint>([
      [TEST, { name: TEST, address: addressIn(n, 254) }],
      [ZOOKEEPER, { name: ZOOKEEPER, address: addressIn(n, 253) }],
    ]);
    hostNames.forEach((name, i) => endpoints.set(name, { name, address: addressIn(n, i + 1), netns: `${netnsPrefix(n)}${name}` }));
    const lab = new NetnsLab(n, endpoints);
    try {
      await lab.buildHub();
      for (const [i, name] of hostNames.entries()) await lab.buildHost(name, `h${i + 1}`);
    } catch (error) {
      await removeLab(n);
      throw error;
    }
    return lab;
  }

  private get hub(): string {
    return `${netnsPrefix(this.n)}hub`;
  }

  private async buildHub(): Promise<void> {
    const link = rootLink(this.n);
    await run('ip', ['netns', 'add', this.hub]);
    await inNetns(this.hub, 'ip', ['link', 'set', 'lo', 'up']);
    await inNetns(this.hub, 'ip', ['link', 'add', 'br0', 'type', 'bridge']);
    await inNetns(this.hub, 'ip', ['link', 'set', 'br0', 'up']);
    await run('ip', ['link', 'set', `${link}p`, 'netns', this.hub, 'name', 'up0']);
    await inNetns(this.hub, 'ip', ['link', 'set', 'up0', 'master', 'br0', 'up']);
    // The test's address first: it is the primary one, so the test's own connections come from it.
    await run('ip', ['addr', 'add', `${this.address(TEST)}/24`, 'dev', link]);
    await run('ip', ['addr', 'add', `${this.address(ZOOKEEPER)}/24`, 'dev', link]);
    await run('ip', ['link', 'set', link, 'up']);
  }

  private async buildHost(name: string, hubPort: string): Promise<void> {
    const netns = this.netns(name);
    await run('ip', ['netns', 'add', netns]);
    await inNetns(this.hub, 'ip', ['link', 'add', hubPort, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns]);
    await inNetns(this.hub, 'ip', ['link', 'set', hubPort, 'master', 'br0', 'up']);
    await inNetns(netns, 'ip', ['link', 'set', 'lo', 'up']);
    await inNetns(netns, 'ip', ['addr', 'add', `${this.address(name)}/24`, 'dev', 'eth0']);
    await inNetns(netns, 'ip', ['link', 'set', 'eth0', 'up']);
    await prepareHost(netns);
  }

  get subnet(): string {
    return subnetOf(this.n);
  }

  /** The lab hosts' names, in the order given. */
  get hosts(): string[] {
    return [...this.endpoints.values()].filter((e) => e.netns).map((e) => e.name);
  }

  /** The address of a host, of the test process (TEST) or of ZooKeeper (ZOOKEEPER). */
  address(name: string): string {
    const endpoint = this.endpoints.get(name);
    if (!endpoint) throw new Error(`no lab endpoint named ${name}`);
    return endpoint.address;
  }

  /** The network namespace of a host, for `ip netns exec`. */
  netns(host: string): string {
    const netns = this.endpoints.get(host)?.netns;
    if (!netns) throw new Error(`no lab host named ${host}`);
    return netns;
  }

  /** Both ways between a and b (hosts, TEST or ZOOKEEPER). */
  cut(a: string, b: string): Promise<void> {
    return this.faults.cut(a, b);
  }

  /** One way: packets from `from` to `to` are lost. */
  drop(from: string, to: string): Promise<void> {
    return this.faults.drop(from, to);
  }

  /** `host` cut from each of `peers` (default: every other endpoint, ZooKeeper and the test included). */
  blackhole(host: string, peers: readonly string[] = [...this.endpoints.keys()].filter((e) => e !== host)): Promise<void> {
    return this.faults.blackhole(host, peers);
  }

  heal(): Promise<void> {
    return this.faults.heal();
  }

  /** Removes everything the lab made; processes still running in its hosts are killed first. */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    await removeLab(this.n);
  }
}
