// Sends held entries to the members that should have them, as versioned
// puts over the internal batch route (so a copy never overwrites a newer
// write). A bounded window of keys is in flight at a time, so memory stays
// flat and foreground requests keep their turn on the event loop.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Member } from '../../ring/member.js';
import type { Logger } from '../../observability/logger.js';
import type { VersionedStore } from '../../store/versioned-store.js';
import type { ServerChannels } from '../../transport/server-channels.js';

/** Keys in flight at once. */
export const SEND_WINDOW_KEYS = 2048;
const RETRY_DELAY_MS = 200;

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
  copiesSent: number;
  /** Copies that could not be delivered before the deadline. */
  failed: number;
}

export async function sendKeys(
  store: VersionedStore,
  keys: Iterable<string>,
  channels: ServerChannels,
  plan: SendPlan,
  logger: Logger,
): Promise<SendResult> {
  const result: SendResult = { keys: 0, copiesStored: 0, copiesSent: 0, failed: 0 };
  let window: Promise<void>[] = [];
  for (const key of keys) {
    const targets = plan.targetsFor(key);
    if (targets.length === 0) continue;
    result.keys++;
    window.push(sendKey(store, key, targets, channels, plan, result, logger));
    if (window.length >= SEND_WINDOW_KEYS) {
      await Promise.all(window);
      window = [];
    }
  }
  await Promise.all(window);
  return result;
}

async function sendKey(
  store: VersionedStore, key: string, initialTargets: Member[], channels: ServerChannels,
  plan: SendPlan, result: SendResult, logger: Logger,
): Promise<void> {
  const done = new Set<string>();
  let targets = initialTargets;
  while (targets.length > 0) {
    // Read the entry at send time: a newer local write goes out instead of an old one.
    const entry = store.peek(key);
    if (!entry) return;
    const op = { op: 'put' as const, key, value: entry.value, version: entry.version, expiresAt: entry.expiresAt };
    let replan = false;
    await Promise.all(targets.map(async (target) => {
      try {
        const answer = await channels.get(target.address).send(op);
        result.copiesSent++;
        if ('refused' in answer) {
          plan.onLeaving(target.id);
          replan = true;
        } else if ('error' in answer) {
          result.failed++;
          done.add(target.id);
          logger.warn({ key, target: target.id, error: answer.error }, 'hand-off copy refused');
        } else {
          if ('stored' in answer && answer.stored) result.copiesStored++;
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
