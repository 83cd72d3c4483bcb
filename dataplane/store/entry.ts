// One stored key: a value or a tombstone, with its version and expiry.
import type { Version } from '../version/hlc.js';

export interface StoredEntry {
  /** The value, or null for a tombstone that remembers a delete. */
  value: string | null;
  version: Version;
  /** Wall-clock ms after which the entry is gone; 0 means never. */
  expiresAt: number;
}

/**
 * Estimated bytes the runtime spends on one entry beyond its strings: the
 * LRU's map slot and index arrays, the entry object and two string headers.
 * Measured by the bench ("memory per stored entry") and rounded up.
 */
export const ENTRY_OVERHEAD_BYTES = 160;

/** How long a delete is remembered. It must outlive any hand-off (see DRAIN_TIMEOUT). */
export const TOMBSTONE_TTL_MS = 10 * 60_000;

export function entryBytes(key: string, entry: StoredEntry): number {
  return (
    Buffer.byteLength(key, 'utf8') +
    (entry.value === null ? 0 : Buffer.byteLength(entry.value, 'utf8')) +
    entry.version.length +
    ENTRY_OVERHEAD_BYTES
  );
}

export function isExpired(entry: StoredEntry, now: number): boolean {
  return entry.expiresAt !== 0 && entry.expiresAt <= now;
}
