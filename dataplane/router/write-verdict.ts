// Did a write take effect, or did it lose to a newer version and need a new
// stamp? Pure: the router feeds it the owners' answers. Why one owner decides
// is in docs/consistency.md.
import type { BatchResult } from '../protocol/internal-batch.js';
import { compareVersions, type Version } from '../version/hlc.js';

export type WriteResult = Extract<BatchResult, { stored: boolean }>;

export interface OwnerAnswer {
  ownerId: string;
  result: WriteResult;
}

export type WriteVerdict =
  /** The write is in place; for a delete, whether a live value was there. */
  | { taken: true; existed: boolean }
  /** An owner holds a newer version: stamp the write after `newest` and send it again. */
  | { taken: false; newest: Version };

/**
 * The version this write lost to, if it lost. An owner that holds this very
 * version (a hand-off copy got there first) holds the write; an expired write
 * is refused with an older current version and has nothing to retry against.
 */
export function versionLostTo(result: WriteResult, version: Version): Version | undefined {
  if (result.stored || result.current === undefined) return undefined;
  return compareVersions(result.current, version) > 0 ? result.current : undefined;
}

function existed(answer: OwnerAnswer): boolean {
  return 'existed' in answer.result && answer.result.existed;
}

function previousOf(answer: OwnerAnswer): Version | undefined {
  return 'previous' in answer.result ? answer.result.previous : undefined;
}

/**
 * With no deciding owner, whether a delete found a live value is what the
 * owner with the newest earlier state says: an owner that missed an earlier
 * delete still holds the value it removed, and one that missed a write holds
 * nothing or something older.
 */
function existedByNewest(answers: readonly OwnerAnswer[]): boolean {
  let newest: OwnerAnswer | undefined;
  for (const answer of answers) {
    const previous = previousOf(answer);
    if (previous === undefined) continue;
    const best = newest === undefined ? undefined : previousOf(newest);
    if (best === undefined || compareVersions(previous, best) > 0) newest = answer;
  }
  // Servers from before `previous` existed (a rolling upgrade) say only whether they had a value.
  return newest === undefined ? answers.some(existed) : existed(newest);
}

/**
 * Judges a write by the first deciding owner that answered. Only when no
 * deciding owner answered does every answer count, which is safe (never
 * acknowledges a lost write) but may re-send a write that was already seen.
 * The deciding owners are asked for only when the answers disagree, so the
 * common write costs no second ring lookup.
 */
export function judgeWrite(version: Version, answers: readonly OwnerAnswer[], decidingOwnerIds: () => readonly string[]): WriteVerdict {
  const first = answers[0];
  if (first && answers.every((a) => versionLostTo(a.result, version) === undefined && existed(a) === existed(first))) {
    return { taken: true, existed: existed(first) };
  }
  const deciders = decidingOwnerIds();
  const decider = deciders.find((id) => answers.some((a) => a.ownerId === id));
  const judged = decider === undefined ? answers : answers.filter((a) => a.ownerId === decider);
  let newest: Version | undefined;
  for (const { result } of judged) {
    const lostTo = versionLostTo(result, version);
    if (lostTo !== undefined && (newest === undefined || compareVersions(lostTo, newest) > 0)) newest = lostTo;
  }
  if (newest !== undefined) return { taken: false, newest };
  return { taken: true, existed: decider === undefined ? existedByNewest(judged) : judged.some(existed) };
}

/**
 * Whether a write that lost may be stamped again and sent once more. Only
 * when no owner can hold this attempt: the deciding owner answered (a write
 * it did not take went nowhere else), or every owner it was sent to answered
 * and none stored it. Otherwise some owner may hold the attempt (one that
 * stored it, or an unreachable deciding owner whose answer was lost), readers
 * may already have seen it, and a newer stamp of the same write would show it
 * to them again after a write they saw since: A, B, A (docs/consistency.md,
 * "A write that may be half in place").
 */
export function restampAllowed(answers: readonly OwnerAnswer[], deciderId: string | undefined, someOwnerUnanswered: boolean): boolean {
  if (deciderId !== undefined && answers.some((a) => a.ownerId === deciderId)) return true;
  return !someOwnerUnanswered && !answers.some((a) => a.result.stored);
}
