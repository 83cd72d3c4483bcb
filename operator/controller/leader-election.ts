// Leader election on a coordination.k8s.io Lease, as client-go does it: the
// holder renews the Lease every retry period; others take it over once it has
// gone unrenewed for a lease duration, measured on their own clock from when
// they last saw it change (so clock skew between replicas does not matter).
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { microTime } from '../api/time.js';
import { isConflict, isNotFound, KubeApiError } from '../kube/api-error.js';
import type { KubeClient, KubeObject } from '../kube/client.js';
import { resourceType } from '../kube/resource-types.js';

export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

export interface Lease extends KubeObject {
  spec?: LeaseSpec;
}

export interface LeaderElectionTiming {
  leaseDurationMs: number;
  /** The leader gives up when it could not renew for this long. */
  renewDeadlineMs: number;
  retryPeriodMs: number;
}

/** client-go's defaults. */
export const DEFAULT_TIMING: LeaderElectionTiming = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 };

/** What a candidate last saw of the Lease, and when (on its own clock). */
export interface Observation {
  spec: LeaseSpec;
  atMs: number;
}

/**
 * Whether `identity` may take or keep the Lease now. Pure: it holds it
 * already, nobody holds it, or the holder has not renewed within its duration
 * since we saw the record change.
 */
export function mayAcquire(observation: Observation | undefined, identity: string, nowMs: number): boolean {
  if (observation === undefined) return true;
  const holder = observation.spec.holderIdentity ?? '';
  if (holder === '' || holder === identity) return true;
  const durationMs = (observation.spec.leaseDurationSeconds ?? 0) * 1000;
  return observation.atMs + durationMs <= nowMs;
}

export interface LeaderElectorOptions {
  client: KubeClient;
  namespace: string;
  name: string;
  identity: string;
  timing?: LeaderElectionTiming;
  logger: Logger;
  now?: () => number;
}

export class LeaderElector {
  private observation: Observation | undefined;
  private observedRecord = '';
  private leading = false;
  private readonly timing: LeaderElectionTiming;
  private readonly now: () => number;
  private readonly leases = resourceType('Lease');

  constructor(private readonly options: LeaderElectorOptions) {
    this.timing = options.timing ?? DEFAULT_TIMING;
    this.now = options.now ?? Date.now;
  }

  get isLeader(): boolean {
    return this.leading;
  }

  get identity(): string {
    return this.options.identity;
  }

  /** Resolves once this candidate leads; rejects only when aborted (or the Lease's namespace is missing). */
  async acquire(signal: AbortSignal): Promise<void> {
    const { logger, namespace, name } = this.options;
    logger.info({ lease: `${namespace}/${name}`, identity: this.options.identity }, 'waiting to lead');
    while (!signal.aborted) {
      if (await this.tryAcquireOrRenew()) {
        this.leading = true;
        logger.info({ lease: `${namespace}/${name}`, identity: this.options.identity }, 'became the leader');
        return;
      }
      // Rejects at once when `signal` aborts.
      await sleep(this.timing.retryPeriodMs * (1 + Math.random() * 0.2), undefined, { signal });
    }
    throw new Error('aborted while waiting to lead');
  }

  /** Renews every retry period; resolves when leadership is lost (could not renew within the deadline) or `signal` aborts. */
  async holdUntilLost(signal: AbortSignal): Promise<'lost' | 'stopped'> {
    let lastRenewMs = this.now();
    while (!signal.aborted) {
      // An abort ends the wait early; the check below sees it.
      await sleep(this.timing.retryPeriodMs, undefined, { signal }).catch(() => undefined);
      if (signal.aborted) break;
      if (await this.tryAcquireOrRenew()) {
        lastRenewMs = this.now();
      } else if (this.now() - lastRenewMs >= this.timing.renewDeadlineMs || this.heldByOther()) {
        this.leading = false;
        this.options.logger.error({ identity: this.options.identity }, 'lost the leadership');
        return 'lost';
      }
    }
    return 'stopped';
  }

  /** Hands the Lease back so another replica takes over at once rather than after the lease duration. */
  async release(): Promise<void> {
    if (!this.leading) return;
    this.leading = false;
    const { client, namespace, name, logger } = this.options;
    try {
      const lease = await client.get<Lease>(this.leases, namespace, name);
      if (lease?.spec?.holderIdentity !== this.options.identity) return;
      const now = microTime(new Date(this.now()));
      await client.replace(this.leases, namespace, name, {
        ...lease,
        spec: { ...lease.spec, holderIdentity: undefined, leaseDurationSeconds: 1, acquireTime: now, renewTime: now },
      });
      logger.info({ identity: this.options.identity }, 'released the leadership');
    } catch (error) {
      logger.warn({ err: error }, 'could not release the Lease');
    }
  }

  private heldByOther(): boolean {
    const holder = this.observation?.spec.holderIdentity ?? '';
    return holder !== '' && holder !== this.options.identity;
  }

  private observe(spec: LeaseSpec): void {
    const record = JSON.stringify(spec);
    if (record !== this.observedRecord) {
      this.observedRecord = record;
      this.observation = { spec, atMs: this.now() };
    }
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const { client, namespace, name, identity, logger } = this.options;
    const nowDate = new Date(this.now());
    const ours = (previous: LeaseSpec | undefined): LeaseSpec => {
      const changesHands = previous?.holderIdentity !== identity;
      return {
        holderIdentity: identity,
        leaseDurationSeconds: Math.ceil(this.timing.leaseDurationMs / 1000),
        acquireTime: changesHands ? microTime(nowDate) : (previous?.acquireTime ?? microTime(nowDate)),
        renewTime: microTime(nowDate),
        leaseTransitions: (previous?.leaseTransitions ?? 0) + (changesHands && previous?.holderIdentity ? 1 : 0),
      };
    };
    try {
      const lease = await client.get<Lease>(this.leases, namespace, name);
      if (lease === undefined) {
        const spec = ours(undefined);
        await client.create(this.leases, namespace, { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, namespace }, spec });
        this.observe(spec);
        return true;
      }
      this.observe(lease.spec ?? {});
      if (!mayAcquire(this.observation, identity, this.now())) return false;
      const spec = ours(lease.spec);
      // The resourceVersion in the body makes this a compare-and-swap: a concurrent writer gets 409.
      await client.replace(this.leases, namespace, name, { ...lease, spec });
      this.observe(spec);
      return true;
    } catch (error) {
      if (isConflict(error)) return false;
      if (error instanceof KubeApiError && isNotFound(error)) {
        logger.error({ namespace }, `cannot hold the Lease: namespace ${namespace} does not exist (set LEADER_ELECTION_NAMESPACE)`);
        return false;
      }
      logger.warn({ err: error }, 'leader election request failed');
      return false;
    }
  }
}
