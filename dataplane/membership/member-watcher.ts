// Follows the members of one cache in ZooKeeper and reports each new view.
// Any watch event triggers a full re-read: membership is small, and a full
// read can never miss a change the way incremental updates can.
import { EventEmitter } from 'node:events';
import type { Logger } from '../observability/logger.js';
import { sameMembers, sortMembers, type Member } from '../ring/member.js';
import { decodeMember, membersPath } from './member-znode.js';
import { isZkError, ZkCodes, type ZkSession } from './zk-session.js';

export interface MemberWatcherEvents {
  members: [Member[]];
  /** A read of the members completed, changed or not; it began at `startedAt` (ms). */
  read: [startedAt: number];
}

export class MemberWatcher extends EventEmitter<MemberWatcherEvents> {
  private current: Member[] = [];
  private reading = false;
  private readAgain = false;
  private stopped = false;
  // One stable function, so the ZooKeeper client registers it once per path.
  private readonly onWatch = (): void => this.refresh();

  constructor(private readonly session: ZkSession, private readonly cacheName: string, private readonly logger: Logger) {
    super();
    session.on('session', this.onWatch);
    session.on('reconnected', this.onWatch);
  }

  get members(): Member[] {
    return this.current;
  }

  stop(): void {
    this.stopped = true;
    this.session.off('session', this.onWatch);
    this.session.off('reconnected', this.onWatch);
  }

  /** Re-reads the member list; calls that arrive mid-read are folded into one more read. */
  refresh(): void {
    if (this.stopped) return;
    if (this.reading) {
      this.readAgain = true;
      return;
    }
    this.reading = true;
    const startedAt = Date.now();
    this.readMembers()
      .then((members) => {
        if (!this.stopped && !sameMembers(members, this.current)) {
          this.current = members;
          this.emit('members', members);
        }
        if (!this.stopped) this.emit('read', startedAt);
      })
      .catch((error: unknown) => {
        // The view stays as it was; the next connect or watch event reads again.
        this.logger.warn({ err: error }, 'could not read members; keeping the last view');
      })
      .finally(() => {
        this.reading = false;
        if (this.readAgain) {
          this.readAgain = false;
          this.refresh();
        }
      });
  }

  private async readMembers(): Promise<Member[]> {
    const root = membersPath(this.cacheName);
    await this.session.mkdirp(root);
    const children = await this.session.getChildren(root, this.onWatch);
    const members = await Promise.all(
      children.map(async (child) => {
        try {
          const { data } = await this.session.getData(`${root}/${child}`, this.onWatch);
          const member = decodeMember(data);
          if (!member) this.logger.warn({ child }, 'ignoring a member znode that is not valid member JSON');
          return member;
        } catch (error) {
          if (isZkError(error, ZkCodes.NO_NODE)) return undefined; // gone between the two reads
          throw error;
        }
      }),
    );
    return sortMembers(members.filter((m): m is Member => m !== undefined));
  }
}
