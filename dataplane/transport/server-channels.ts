// One ServerChannel per server address, opened on first use and closed once
// the address leaves the ring.
import type { Member } from '../ring/member.js';
import type { BatchOp, BatchResult } from '../protocol/internal-batch.js';
import type { ClusterCredential } from '../security/cluster-credential.js';
import { ServerChannel } from './server-channel.js';

/** What a router needs of its links: one op to one server, answered alone. */
export interface ServerLinks {
  get(address: string): { send(op: BatchOp): Promise<BatchResult> };
}

export class ServerChannels implements ServerLinks {
  private readonly byAddress = new Map<string, ServerChannel>();

  constructor(private readonly credential: ClusterCredential, private readonly coalesce = true) {}

  get(address: string): ServerChannel {
    let channel = this.byAddress.get(address);
    if (!channel) {
      channel = new ServerChannel(address, this.credential, this.coalesce);
      this.byAddress.set(address, channel);
    }
    return channel;
  }

  /** Closes channels to servers no longer among the members (after their in-flight calls). */
  retainOnly(members: readonly Member[]): void {
    const live = new Set(members.map((m) => m.address));
    for (const [address, channel] of this.byAddress) {
      if (!live.has(address)) {
        this.byAddress.delete(address);
        void channel.close();
      }
    }
  }

  async closeAll(): Promise<void> {
    const channels = [...this.byAddress.values()];
    this.byAddress.clear();
    await Promise.all(channels.map((c) => c.close()));
  }
}
