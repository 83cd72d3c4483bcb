// The internal route replicas compare digests over (docs/consistency.md,
// "Replicas converge by themselves"). The asking server sends its digest of
// the keys it shares with the answering one; the answer names the buckets
// that differ, and the asker then offers its versions of those buckets over
// the hand-off offer route, which moves only the values the other lacks.
import { BadRequestError } from './errors.js';

export const ANTI_ENTROPY_DIGEST_PATH = '/internal/v1/antientropy/digest';

export interface DigestRequest {
  /** The asking member's id. */
  from: string;
  /** Its placementFingerprint: the answering member compares only if its own is the same. */
  placement: string;
  /** The window of writes digested (antiEntropyWindow). */
  cutoffMs: number;
  horizonMs: number;
  buckets: number;
  /** VersionDigest.encode() of the keys the two share. */
  digest: string;
}

export type DigestAnswer =
  | { differ: number[] }
  /** The answering member cannot compare now (settling, another view, not serving); the asker tries next cycle. */
  | { notComparable: string };

/** The largest digest a request may carry: 64k buckets. */
const MAX_BUCKETS = 65_536;

export function parseDigestRequest(body: unknown): DigestRequest {
  const raw = body as Partial<Record<keyof DigestRequest, unknown>> | null;
  if (typeof raw?.from !== 'string' || typeof raw.placement !== 'string' || !Number.isSafeInteger(raw.cutoffMs) ||
      !Number.isSafeInteger(raw.horizonMs) || typeof raw.digest !== 'string' ||
      !Number.isInteger(raw.buckets) || (raw.buckets as number) < 1 || (raw.buckets as number) > MAX_BUCKETS) {
    throw new BadRequestError(`digest body must be {"from", "placement", "cutoffMs", "horizonMs", "buckets" (1-${MAX_BUCKETS}), "digest"}`);
  }
  return {
    from: raw.from, placement: raw.placement, cutoffMs: raw.cutoffMs as number, horizonMs: raw.horizonMs as number,
    buckets: raw.buckets as number, digest: raw.digest,
  };
}

/** The answer as the asker reads it; undefined when it is neither form. */
export function parseDigestAnswer(body: unknown): DigestAnswer | undefined {
  const raw = body as { differ?: unknown; notComparable?: unknown } | null;
  if (typeof raw?.notComparable === 'string') return { notComparable: raw.notComparable };
  if (!Array.isArray(raw?.differ) || !raw.differ.every((b) => Number.isInteger(b) && b >= 0)) return undefined;
  return { differ: raw.differ as number[] };
}
