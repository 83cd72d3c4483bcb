// What a smart client counts: the routing core's counters (hits, misses,
// re-stamps, read repairs; a router keeps the same as Prometheus metrics) and
// the ring it last built. Plain numbers: the application exports them if it likes.
import type { Member } from '../../dataplane/ring/member.js';
import type { RoutingCounters } from '../../dataplane/router/router-backend.js';

class Count {
  value = 0;
  inc(): void {
    this.value++;
  }
}

export interface ClientStats {
  hits: number;
  misses: number;
  /** Writes stamped again because an owner held a newer version (docs/consistency.md). */
  writeRestamps: number;
  /** Values a read found past the first owner and copied to the owners without them. */
  readRepairs: number;
  /** How many ring views this client has built. */
  ringEpoch: number;
  ringMembers: number;
  /** Early ring refreshes after an owner refused or did not answer. */
  ringRefreshes: number;
}

export class ClientCounters implements RoutingCounters {
  readonly hits = new Count();
  readonly misses = new Count();
  readonly writeRestamps = new Count();
  readonly readRepairs = new Count();
  private epoch = 0;
  private members = 0;

  recordRing(epoch: number, members: readonly Member[]): void {
    this.epoch = epoch;
    this.members = members.length;
  }

  snapshot(ringRefreshes: number): ClientStats {
    return {
      hits: this.hits.value, misses: this.misses.value, writeRestamps: this.writeRestamps.value, readRepairs: this.readRepairs.value,
      ringEpoch: this.epoch, ringMembers: this.members, ringRefreshes,
    };
  }
}
