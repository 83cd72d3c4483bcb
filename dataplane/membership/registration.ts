import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../observability/logger.js';
import type { Member, MemberState } from '../ring/member.js';
import { decodeMember, encodeMember, membersPath } from './member-znode.js';
import { isZkError, ZkCodes, type ZkSession } from './zk-session.js';

/** Longest a single znode write may take before the step is abandoned. */
const ZK_STEP_TIMEOUT_MS = 5000;

export interface RegistrationEvents {
  /** The znode exists in a new session, with this state. */
  registered: [MemberState];
}

/**
 * A server's own member znode: created in every new session, updated when the
 * server changes state, removed when it leaves. A new session always starts
 * as joining (unless leaving): the server may have missed writes while it had
 * no session, so it must catch up before it serves again.
 */
export class MemberRegistration extends EventEmitter<RegistrationEvents> {
  private member: Member;
  /** The state the znode holds, as far as this process has written it. */
  private published: MemberState | undefined;
  private registered = false;
  private deregistered = false;
  /** Serialises znode writes so a state change never races a re-registration. */
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly session: ZkSession,
    private readonly cacheName: string,
    member: Member,
    private readonly logger: Logger,
  ) {
    super();
    this.member = { ...member };
    // Registration retries on its own until it holds, so it is not bounded like the other steps.
    session.on('session', () => this.enqueue(() => this.ensureRegistered(), false));
    // A state set while the connection was down, or whose write was lost with it, is published once the
    // same session is back: else the znode says joining for ever, and the server is never Ready.
    session.on('reconnected', () => void this.publishState().catch(() => undefined));
  }

  get path(): string {
    return `${membersPath(this.cacheName)}/${this.member.id}`;
  }

  get state(): MemberState {
    return this.member.state;
  }

  get isRegistered(): boolean {
    return this.registered && !this.deregistered;
  }

  /** Resolves once the znode exists in the current session. */
  async waitUntilRegistered(): Promise<void> {
    while (!this.isRegistered) {
      await this.session.waitForSession();
      await this.queue;
      if (!this.isRegistered) await sleep(200);
    }
  }

  setState(state: MemberState): Promise<void> {
    this.member = { ...this.member, state };
    return this.publishState();
  }

  /** Writes the state to the znode unless it holds it already; without a connection, the next reconnect does. */
  private publishState(): Promise<void> {
    return this.enqueue(async () => {
      const member = this.member;
      if (!this.registered || this.deregistered || !this.session.isConnected || this.published === member.state) return;
      await this.session.setData(this.path, encodeMember(member));
      this.published = member.state;
      this.logger.info({ state: member.state }, 'member state published');
    });
  }

  deregister(): Promise<void> {
    this.deregistered = true;
    return this.enqueue(async () => {
      if (!this.session.isConnected) return;
      try {
        await this.session.remove(this.path);
        this.logger.info('deregistered from ZooKeeper');
      } catch (error) {
        if (!isZkError(error, ZkCodes.NO_NODE)) throw error;
      }
    });
  }

  /** Queues a ZooKeeper step; a step that hangs (ZooKeeper gone mid-call) is abandoned after a while. */
  private enqueue(task: () => Promise<void>, bounded = true): Promise<void> {
    const step = !bounded ? task : (): Promise<void> => new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`ZooKeeper step took over ${ZK_STEP_TIMEOUT_MS}ms`)), ZK_STEP_TIMEOUT_MS);
      task().then(resolve, reject).finally(() => clearTimeout(timer));
    });
    const run = this.queue.then(step);
    this.queue = run.catch((error: unknown) => {
      this.logger.warn({ err: error }, 'ZooKeeper registration step failed');
    });
    return run;
  }

  private async ensureRegistered(): Promise<void> {
    if (this.deregistered) return;
    this.registered = false;
    if (this.member.state !== 'leaving') this.member = { ...this.member, state: 'joining' };
    // A new session may fail right away if ZooKeeper drops again; retry until it holds.
    for (let attempt = 1; !this.deregistered; attempt++) {
      try {
        await this.session.mkdirp(membersPath(this.cacheName));
        const state = this.member.state;
        await this.createOwnNode();
        this.published = state;
        this.registered = true;
        this.logger.info({ path: this.path, member: this.member }, 'registered in ZooKeeper');
        this.emit('registered', this.member.state);
        return;
      } catch (error) {
        this.logger.warn({ err: error, attempt }, `registration failed; retrying: ${(error as Error).message}`);
        await sleep(Math.min(2000, 100 * attempt));
      }
    }
  }

  private async createOwnNode(): Promise<void> {
    const data = encodeMember(this.member);
    try {
      await this.session.createEphemeral(this.path, data);
    } catch (error) {
      if (!isZkError(error, ZkCodes.NODE_EXISTS)) throw error;
      const { data: existing, stat } = await this.session.getData(this.path);
      if (stat.ephemeralOwner.toString('hex') === this.session.sessionId()) {
        await this.session.setData(this.path, data);
        return;
      }
      const holder = decodeMember(existing);
      if (holder && holder.address !== this.member.address) {
        // Another live server has this id: taking its znode would make both flap. Its
        // session ends if it is gone (the retry then succeeds); if it is alive, the ids clash.
        throw new Error(`NODE_ID ${this.member.id} is registered by another server at ${holder.address}; ` +
          'waiting for its session to end (give every server a unique NODE_ID)');
      }
      // Left by an earlier life of this same server (same address): take it over.
      await this.session.remove(this.path);
      await this.session.createEphemeral(this.path, data);
    }
  }
}
