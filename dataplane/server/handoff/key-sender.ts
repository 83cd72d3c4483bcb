// Sends held entries to the members that should have them: versions first,
// values only where they are missing (issue 17). Keys go to each receiver in
// offers of their exact versions (/internal/v1/handoff/offer); the receiver
// answers which it lacks or holds older, and only those travel, as versioned
// puts over the internal batch route, so a copy never overwrites a newer
// write or a delete. A receiver that cannot answer an offer (an older
// release, leaving, unreachable) gets every value, as before, and so does one
// that lacked nearly every key of its last offer, for a few batches. A bounded
// number of offers is in flight at a time, so memory stays flat and
// foreground requests keep their turn on the event loop.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Member } from '../../ring/member.js';
import type { Logger } from '../../observability/logger.js';
import { encodeVersionList, HANDOFF_OFFER_PATH, type OfferAnswer } from '../../protocol/handoff.js';
import type { BatchOp } from '../../protocol/internal-batch.js';
import { offersToSkip, sendsAfterOffer } from '../../store/value-need.js';
import { KEYS_PER_TURN, nextTurn } from './scan-turns.js';
import type { VersionedStore } from '../../store/versioned-store.js';
import type { ServerChannel } from '../../transport/server-channel.js';
import type { ServerChannels } from '../../transport/server-channels.js';
import type { Version } from '../../version/hlc.js';

/** Keys in one offer: about 40 bytes each on the wire. */
export const OFFER_BATCH_KEYS = 1024;
/** Offers in flight at once, across receivers. */
const OFFERS_IN_FLIGHT = 4;
const RETRY_DELAY_MS = 200;
/** The JSON of a put op around its key, value and version: {"op":"put","key":"","value":"","version":"","expiresAt":}. */
const PUT_FRAMING_BYTES = 58;

export interface SendPlan {
  /** The members that should receive this key now (recomputed after a refusal). */
  targetsFor(key: string): Member[];
  /** A member refused because it is leaving: the caller updates its view. */
  onLeaving(memberId: string): void;
  /** Whether a member is still in the view; sends to vanished members are dropped. */
  isMember(memberId: string): boolean;
  /** Give up after this wall-clock time. */
  deadline: number;
}

export interface SendResult {
  keys: number;
  /** Copies that the receiver stored (it did not already have that version or newer). */
  copiesStored: number;
  /** Copies handed off: a value sent, or the receiver already held that version or newer. */
  copiesSent: number;
  /** Copies whose value travelled. */
  valuesSent: number;
  /** Copies that could not be delivered before the deadline. */
  failed: number;
  /** Hand-off bytes on the wire: offers and put ops sent, offer answers received (put answers not counted). */
  bytesSent: number;
  bytesReceived: number;
}

/** Receivers that answered an offer with 404 or 405: an older release, sent values directly from then on. */
const offerless = new WeakSet<ServerChannel>();

interface OfferBatch {
  target: Member;
  /** Sent without an offer: the receiver lacked nearly every key of its last one. */
  skipOffer: boolean;
  keys: string[];
  /** Per key, the other members it was planned for: a re-plan after a refusal leaves them to their own offers. */
  siblings: string[][];
}

export async function sendKeys(
  store: VersionedStore,
  keys: Iterable<string>,
  channels: ServerChannels,
  plan: SendPlan,
  logger: Logger,
): Promise<SendResult> {
  const result: SendResult = { keys: 0, copiesStored: 0, copiesSent: 0, valuesSent: 0, failed: 0, bytesSent: 0, bytesReceived: 0 };
  const batches = new Map<string, OfferBatch>();
  /** Per receiver, how many more batches go without an offer (see offersToSkip). */
  const skips = new Map<string, number>();
  let inFlight: Promise<void>[] = [];
  const start = async (batch: OfferBatch): Promise<void> => {
    batches.delete(batch.target.id);
    const skipping = skips.get(batch.target.id) ?? 0;
    batch.skipOffer = skipping > 0;
    if (skipping > 0) skips.set(batch.target.id, skipping - 1);
    inFlight.push(offerAndSend(store, batch, channels, plan, result, logger, skips));
    if (inFlight.length >= OFFERS_IN_FLIGHT) {
      await Promise.all(inFlight);
      inFlight = [];
    }
  };
  let scanned = 0;
  for (const key of keys) {
    // Most keys of a rebalance stay where they are: a long stretch of them sends nothing to wait on.
    if (++scanned % KEYS_PER_TURN === 0) await nextTurn();
    const targets = plan.targetsFor(key);
    if (targets.length === 0) continue;
    result.keys++;
    const ids = targets.map((m) => m.id);
    for (const target of targets) {
      let batch = batches.get(target.id);
      if (!batch) {
        batch = { target, skipOffer: false, keys: [], siblings: [] };
        batches.set(target.id, batch);
      }
      batch.keys.push(key);
      batch.siblings.push(ids);
      if (batch.keys.length >= OFFER_BATCH_KEYS) await start(batch);
    }
  }
  for (const batch of [...batches.values()]) await start(batch);
  await Promise.all(inFlight);
  return result;
}

async function offerAndSend(
  store: VersionedStore, batch: OfferBatch, channels: ServerChannels, plan: SendPlan, result: SendResult, logger: Logger,
  skips: Map<string, number>,
): Promise<void> {
  const { target } = batch;
  const offered: Array<[string, Version]> = [];
  const siblings: string[][] = [];
  batch.keys.forEach((key, i) => {
    const entry = store.peek(key);
    if (entry) {
      offered.push([key, entry.version]);
      siblings.push(batch.siblings[i] as string[]);
    }
  });
  if (offered.length === 0) return;
  const want = batch.skipOffer ? undefined : await offer(channels.get(target.address), offered, result, logger, target.id);
  if (want !== undefined) skips.set(target.id, offersToSkip(want.split('1').length - 1, want.length));
  await Promise.all(offered.map(([key, version], i) => {
    // Compared with the entry held now: a local write since the offer goes out too.
    if (!sendsAfterOffer(version, store.peek(key)?.version, want === undefined || want[i] === '1')) {
      result.copiesSent++;
      return undefined;
    }
    const others = new Set((siblings[i] as string[]).filter((id) => id !== target.id));
    return sendKey(store, key, [target], channels, plan, result, logger, others);
  }));
}

/** Which offered keys the receiver wants ("1"/"0" each); undefined means send them all. */
async function offer(
  channel: ServerChannel, offered: ReadonlyArray<readonly [string, Version]>, result: SendResult, logger: Logger, targetId: string,
): Promise<string | undefined> {
  if (offerless.has(channel)) return undefined;
  const body = JSON.stringify({ offer: encodeVersionList(offered) });
  try {
    const answer = await channel.postJson(HANDOFF_OFFER_PATH, body);
    result.bytesSent += Buffer.byteLength(body);
    result.bytesReceived += answer.body.length;
    if (answer.status === 404 || answer.status === 405) {
      offerless.add(channel);
      logger.info({ target: targetId }, 'receiver takes no hand-off offers (an older release); sending values directly');
      return undefined;
    }
    const parsed = answer.status === 200 ? (JSON.parse(answer.body.toString('utf8')) as Partial<OfferAnswer>) : {};
    // A refusal (leaving) or a malformed answer falls back to values, whose puts re-plan as before.
    return typeof parsed.want === 'string' && parsed.want.length === offered.length ? parsed.want : undefined;
  } catch {
    return undefined; // unreachable: the puts retry until the deadline, as before
  }
}

/** The bytes of a put op's JSON (exact for keys and values that need no escaping). */
function putBytes(op: Extract<BatchOp, { op: 'put' }>): number {
  return PUT_FRAMING_BYTES + op.key.length + (op.value === null ? 2 : op.value.length) + op.version.length + String(op.expiresAt).length;
}

async function sendKey(
  store: VersionedStore, key: string, initialTargets: Member[], channels: ServerChannels,
  plan: SendPlan, result: SendResult, logger: Logger, done = new Set<string>(),
): Promise<void> {
  let targets = initialTargets;
  while (targets.length > 0) {
    // Read the entry at send time: a newer local write goes out instead of an old one.
    const entry = store.peek(key);
    if (!entry) return;
    const op = { op: 'put' as const, key, value: entry.value, version: entry.version, expiresAt: entry.expiresAt };
    let replan = false;
    await Promise.all(targets.map(async (target) => {
      try {
        result.bytesSent += putBytes(op);
        const answer = await channels.get(target.address).send(op);
        result.valuesSent++;
        if ('refused' in answer) {
          plan.onLeaving(target.id);
          replan = true;
        } else if ('error' in answer) {
          result.failed++;
          done.add(target.id);
          logger.warn({ key, target: target.id, error: answer.error }, 'hand-off copy refused');
        } else {
          if ('stored' in answer && answer.stored) result.copiesStored++;
          result.copiesSent++;
          done.add(target.id);
        }
      } catch (error) {
        if (Date.now() > plan.deadline || !plan.isMember(target.id)) {
          result.failed++;
          done.add(target.id);
          logger.warn({ err: error, key, target: target.id }, 'hand-off copy not delivered');
        } else {
          replan = true;
        }
      }
    }));
    if (!replan) return;
    if (Date.now() > plan.deadline) {
      result.failed++;
      return;
    }
    await sleep(RETRY_DELAY_MS);
    targets = plan.targetsFor(key).filter((m) => !done.has(m.id));
  }
}
