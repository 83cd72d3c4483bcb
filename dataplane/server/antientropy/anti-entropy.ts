// Anti-entropy: replicas converge by themselves (docs/consistency.md,
// "Replicas converge by themselves"). Once per interval, while membership is
// settled, a server digests the entries it shares with each peer, sends each
// peer its digest, and offers the keys of the buckets the peer finds
// different over the hand-off offer route, which moves only the values the
// peer lacks or holds older. Each side pushes what it has, so a difference in
// either direction is repaired by one of the two sides' cycles. No value
// travels, and no key list, while the replicas agree.
import { readRequestJson } from '../../http/body.js';
import type { DirectRoutes } from '../../http/direct-routes.js';
import type { Logger } from '../../observability/logger.js';
import type { DataplaneMetrics } from '../../observability/metrics.js';
import {
  ANTI_ENTROPY_DIGEST_PATH, parseDigestAnswer, parseDigestRequest, type DigestAnswer, type DigestRequest,
} from '../../protocol/antientropy.js';
import { BadRequestError } from '../../protocol/errors.js';
import { antiEntropyDue, antiEntropyWindow, nextCycleAt, placementFingerprint, sharersOf } from '../../ring/antientropy-plan.js';
import type { PruneFacts } from '../../ring/handoff-triggers.js';
import type { Member } from '../../ring/member.js';
import type { Ring } from '../../ring/ring.js';
import type { RingView } from '../../ring/ring-view.js';
import { DIGEST_BUCKETS, VersionDigest, type DigestWindow } from '../../store/version-digest.js';
import type { VersionedStore } from '../../store/versioned-store.js';
import type { ServerChannels } from '../../transport/server-channels.js';
import { sendKeys } from '../handoff/key-sender.js';
import { digestShares, keysInBuckets, type ShareScope } from './digest-scan.js';

/** A digest request is a few KiB; this leaves room for 64k buckets. */
const MAX_DIGEST_REQUEST_BYTES = 1024 * 1024;

export interface AntiEntropyDeps {
  selfId: string;
  replicationFactor: number;
  store: VersionedStore;
  view: RingView;
  channels: ServerChannels;
  metrics: DataplaneMetrics;
  logger: Logger;
  /** 0 turns anti-entropy off: no cycles, and peers' requests are declined. */
  intervalMs: number;
  /** What antiEntropyDue decides on: this server's state and view. */
  facts(): PruneFacts;
}

/**
 * One walk of the store per window serves this server's cycle and every
 * peer's request in that interval (bench: a walk is about 1.2 times a walk
 * that only looks up owners). A repair that arrives after the walk is counted
 * in the next interval's; it came from an owner that repairs the key's other
 * owners itself, so no difference waits on it.
 */
interface DigestsMade {
  key: string;
  digests: Promise<Map<string, VersionDigest>>;
}

export class AntiEntropy {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private made: DigestsMade | undefined;

  constructor(private readonly deps: AntiEntropyDeps) {}

  start(): void {
    if (this.deps.intervalMs > 0) this.schedule();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private schedule(): void {
    if (this.stopped) return;
    const at = nextCycleAt(Date.now(), this.deps.intervalMs, Math.random());
    this.timer = setTimeout(() => {
      this.cycle().catch((error: unknown) => this.deps.logger.warn({ err: error }, 'anti-entropy cycle failed')).finally(() => this.schedule());
    }, at - Date.now());
    this.timer.unref();
  }

  /** One cycle: compare with every peer this server shares keys with, and repair what differs. */
  async cycle(): Promise<void> {
    const { view, selfId, metrics } = this.deps;
    if (!antiEntropyDue(this.deps.facts())) return;
    const started = Date.now();
    const window = antiEntropyWindow(started, this.deps.intervalMs);
    const placement = placementFingerprint(view.members);
    const ring = view.ring;
    const digests = await this.digestsFor(placement, ring, window, DIGEST_BUCKETS);
    for (const peer of view.members) {
      const digest = digests.get(peer.id);
      // A peer with keys this server lacks entirely pushes them in its own cycle.
      if (peer.id === selfId || !digest) continue;
      if (this.stopped || !antiEntropyDue(this.deps.facts()) || placementFingerprint(view.members) !== placement) break;
      await this.compare(peer, { placement, ring, window, digest });
    }
    metrics.antiEntropyCycleDuration.observe((Date.now() - started) / 1000);
  }

  /** A peer's request: the buckets where its digest differs from this server's, or why it cannot compare now. */
  async answer(request: DigestRequest): Promise<DigestAnswer> {
    const { view } = this.deps;
    if (this.deps.intervalMs === 0) return { notComparable: 'anti-entropy is off on this server (ANTI_ENTROPY_INTERVAL=0)' };
    if (!antiEntropyDue(this.deps.facts())) return { notComparable: 'this server is not settled: members are changing or keys are moving' };
    const placement = placementFingerprint(view.members);
    if (request.placement !== placement || !this.isMember(request.from)) {
      return { notComparable: 'this server sees other members than the asker' };
    }
    const theirs = VersionDigest.decode(request.digest, request.buckets);
    if (!theirs) throw new BadRequestError(`digest must be base64 of ${request.buckets * 8} bytes (8 per bucket)`);
    const digests = await this.digestsFor(placement, view.ring, request, request.buckets);
    const mine = digests.get(request.from) ?? new VersionDigest(request.buckets);
    return { differ: mine.differingBuckets(theirs) };
  }

  /** Serves peers' digest requests on the internal routes. */
  routes(routes: DirectRoutes): DirectRoutes {
    return routes.post(ANTI_ENTROPY_DIGEST_PATH, async (req) =>
      this.answer(parseDigestRequest(await readRequestJson(req, MAX_DIGEST_REQUEST_BYTES))));
  }

  private isMember(id: string): boolean {
    return this.deps.view.members.some((m) => m.id === id);
  }

  private scope(ring: Ring): ShareScope {
    const { store, selfId, replicationFactor } = this.deps;
    return { store, ring, selfId, replicationFactor };
  }

  private digestsFor(placement: string, ring: Ring, window: DigestWindow, buckets: number): Promise<Map<string, VersionDigest>> {
    const key = `${placement}|${window.cutoffMs}|${window.horizonMs}|${buckets}`;
    if (this.made?.key === key) return this.made.digests;
    const digests = digestShares(this.scope(ring), window, buckets).then((made) => {
      let entries = 0;
      for (const digest of made.values()) entries += digest.count;
      this.deps.metrics.antiEntropyKeysDigested.inc(entries);
      return made;
    });
    this.made = { key, digests };
    return digests;
  }

  private async compare(peer: Member, at: { placement: string; ring: Ring; window: DigestWindow; digest: VersionDigest }): Promise<void> {
    const { selfId, replicationFactor, store, view, channels, metrics, logger } = this.deps;
    const request: DigestRequest = {
      from: selfId, placement: at.placement, cutoffMs: at.window.cutoffMs, horizonMs: at.window.horizonMs,
      buckets: at.digest.buckets, digest: at.digest.encode(),
    };
    const body = JSON.stringify(request);
    let answer: DigestAnswer | undefined;
    try {
      const raw = await channels.get(peer.address).postJson(ANTI_ENTROPY_DIGEST_PATH, body);
      metrics.antiEntropyBytes.inc({ direction: 'sent' }, Buffer.byteLength(body));
      metrics.antiEntropyBytes.inc({ direction: 'received' }, raw.body.length);
      // A release before anti-entropy has no such route: it compares nothing, and a rolling upgrade ends that.
      if (raw.status === 404 || raw.status === 405) answer = { notComparable: 'the peer runs a release without anti-entropy' };
      else if (raw.status === 200) answer = parseDigestAnswer(JSON.parse(raw.body.toString('utf8')));
    } catch (error) {
      logger.debug({ err: error, peer: peer.id }, 'anti-entropy: peer unreachable');
    }
    if (answer === undefined) {
      metrics.antiEntropyComparisons.inc({ outcome: 'failed' });
      return;
    }
    if ('notComparable' in answer) {
      metrics.antiEntropyComparisons.inc({ outcome: 'not_comparable' });
      logger.debug({ peer: peer.id, reason: answer.notComparable }, 'anti-entropy: peer cannot compare now');
      return;
    }
    metrics.antiEntropyComparisons.inc({ outcome: 'compared' });
    metrics.antiEntropyRangesCompared.inc(at.digest.buckets);
    metrics.antiEntropyRangesDiffering.inc(answer.differ.length);
    if (answer.differ.length === 0) return;
    const keys = await keysInBuckets(this.scope(at.ring), at.window, peer.id, new Set(answer.differ), at.digest.buckets);
    const sharesWithPeer = (key: string): boolean =>
      this.isMember(peer.id) && sharersOf(key, view.ring, selfId, replicationFactor).includes(peer.id);
    const result = await sendKeys(store, keys, channels, {
      targetsFor: (key) => (sharesWithPeer(key) ? [peer] : []),
      onLeaving: (id) => view.markLeaving(id, Date.now()),
      isMember: (id) => this.isMember(id),
      deadline: Date.now() + this.deps.intervalMs,
    }, logger);
    metrics.antiEntropyKeysRepaired.inc(result.copiesStored);
    metrics.antiEntropyBytes.inc({ direction: 'sent' }, result.bytesSent);
    metrics.antiEntropyBytes.inc({ direction: 'received' }, result.bytesReceived);
    if (result.copiesStored > 0 || result.failed > 0) {
      logger.info({
        peer: peer.id, ranges: answer.differ.length, keysOffered: keys.length, repaired: result.copiesStored, failed: result.failed,
      }, 'anti-entropy repaired a peer');
    }
  }
}
