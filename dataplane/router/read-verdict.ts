// Which answer a read returns while the ring is changing and every candidate
// owner was asked at once. Pure: the router feeds it the answers that came
// back. Why tombstones count is in docs/consistency.md.
import type { BatchResult } from '../protocol/internal-batch.js';
import { compareVersions, type Version } from '../version/hlc.js';

export type FoundResult = Extract<BatchResult, { found: true }>;

/**
 * The newest value among the answers, or undefined when no owner has the key
 * or a delete newer than every value is remembered (a tombstone's version),
 * so a stale copy somewhere can never bring a deleted key back. Answers that
 * are not read results are ignored.
 */
export function newestOf(results: Iterable<BatchResult>): FoundResult | undefined {
  let newest: FoundResult | undefined;
  let newestDelete: Version | undefined;
  for (const result of results) {
    if (!('found' in result)) continue;
    if (result.found) {
      if (!newest || compareVersions(result.version, newest.version) > 0) newest = result;
    } else if (result.version && (!newestDelete || compareVersions(result.version, newestDelete) > 0)) {
      newestDelete = result.version;
    }
  }
  if (!newest || (newestDelete && compareVersions(newestDelete, newest.version) > 0)) return undefined;
  return newest;
}

/**
 * The owners a read must copy its answer to before it returns it: those that
 * answered with no value or an older one. Once they hold it, no later read,
 * whichever owner it asks first, can return an older value (docs/consistency.md).
 */
export function ownersBehind<Owner>(answers: ReadonlyArray<{ owner: Owner; result: BatchResult }>, answer: FoundResult): Owner[] {
  return answers
    .filter(({ result }) => 'found' in result && (result.version === undefined || compareVersions(result.version, answer.version) < 0))
    .map(({ owner }) => owner);
}
