// Network faults between a lab's endpoints, switched at run time: iptables
// DROP rules inside the lab hosts' own namespaces, so nothing on the machine
// outside the lab changes. A dropped packet is simply lost, as on a broken
// link: never REJECT, which would answer with a reset or an ICMP error that
// a real partition never sends. The rules match every packet, not only new
// flows (no conntrack state match), so an established connection hangs too.
import { inNetns } from './run.js';

/** A lab host (its namespace), or an address in the root namespace (netns undefined): the test process, ZooKeeper. */
export interface Endpoint {
  name: string;
  address: string;
  netns?: string;
}

const IN = 'DCACHE-LAB-IN';
const OUT = 'DCACHE-LAB-OUT';

/** iptables in a host; -w waits for the xtables lock, which is one file for every namespace. */
const iptables = (netns: string, args: string[]): Promise<string> => inNetns(netns, 'iptables', ['-w', ...args]);

/** Hooks the lab's two chains first in INPUT and OUTPUT of a new host. */
export async function prepareHost(netns: string): Promise<void> {
  await iptables(netns, ['-N', IN]);
  await iptables(netns, ['-N', OUT]);
  await iptables(netns, ['-I', 'INPUT', '1', '-j', IN]);
  await iptables(netns, ['-I', 'OUTPUT', '1', '-j', OUT]);
}

export class Faults {
  /** "from>to" for every direction that drops now. */
  private readonly dropping = new Set<string>();

  constructor(private readonly endpoints: ReadonlyMap<string, Endpoint>) {}

  private endpoint(name: string): Endpoint {
    const endpoint = this.endpoints.get(name);
    if (!endpoint) throw new Error(`no lab endpoint named ${name} (known: ${[...this.endpoints.keys()].join(', ')})`);
    return endpoint;
  }

  /**
   * Packets from `from` to `to` are lost; the other direction still flows.
   * The receiver drops them on arrival (INPUT), which looks to both sides
   * exactly like loss on the wire; only when the receiver is in the root
   * namespace does the sender drop them on the way out (OUTPUT).
   */
  async drop(from: string, to: string): Promise<void> {
    const source = this.endpoint(from);
    const target = this.endpoint(to);
    if (from === to || this.dropping.has(`${from}>${to}`)) return;
    if (target.netns) await iptables(target.netns, ['-A', IN, '-s', source.address, '-j', 'DROP']);
    else if (source.netns) await iptables(source.netns, ['-A', OUT, '-d', target.address, '-j', 'DROP']);
    else throw new Error(`${from} and ${to} are both in the root namespace: the lab cannot come between them`);
    this.dropping.add(`${from}>${to}`);
  }

  /** Both ways between a and b. */
  async cut(a: string, b: string): Promise<void> {
    await this.drop(a, b);
    await this.drop(b, a);
  }

  /** `host` neither reaches nor is reached by any of `peers`. */
  async blackhole(host: string, peers: readonly string[]): Promise<void> {
    for (const peer of peers) await this.cut(host, peer);
  }

  /** Every fault lifted: every host's chains emptied. */
  async heal(): Promise<void> {
    for (const { netns } of this.endpoints.values()) {
      if (!netns) continue;
      await iptables(netns, ['-F', IN]);
      await iptables(netns, ['-F', OUT]);
    }
    this.dropping.clear();
  }

  /** The directions dropping now, as [from, to]. */
  get active(): Array<[string, string]> {
    return [...this.dropping].map((pair) => pair.split('>') as [string, string]);
  }
}
