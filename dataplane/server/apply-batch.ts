// Executes an internal batch against the local store. Each op gets its own
// result, so one refused op does not fail its neighbours.
import { CacheError } from '../protocol/errors.js';
import type { BatchOp, BatchResult } from '../protocol/internal-batch.js';
import type { VersionedStore } from '../store/versioned-store.js';
import type { Version } from '../version/hlc.js';

const STORED: BatchResult = { stored: true };
const LEAVING = { leaving: true } as const;

/** The version a write lost to; none when the write had already expired on arrival. */
function currentVersion(store: VersionedStore, key: string): { current?: Version } {
  const entry = store.peek(key);
  return entry ? { current: entry.version } : {};
}

export interface BatchTally {
  hits: number;
  misses: number;
}

/**
 * Runs the ops in order. A leaving server still answers reads, and says it is
 * leaving, but refuses writes, so that every write lands on a member that
 * will keep it.
 */
export function applyBatch(store: VersionedStore, ops: readonly BatchOp[], tally: BatchTally, acceptsWrites = true): BatchResult[] {
  return ops.map((op): BatchResult => {
    if (op.op !== 'get' && !acceptsWrites) return { refused: 'leaving' };
    try {
      switch (op.op) {
        case 'get': {
          const entry = store.read(op.key);
          const leaving = acceptsWrites ? undefined : LEAVING;
          if (!entry || entry.value === null) {
            tally.misses++;
            return { found: false, ...(entry && { version: entry.version }), ...leaving };
          }
          tally.hits++;
          return { found: true, value: entry.value, version: entry.version, expiresAt: entry.expiresAt, ...leaving };
        }
        case 'put':
          return store.apply(op.key, { value: op.value, version: op.version, expiresAt: op.expiresAt }) === 'stored'
            ? STORED
            : { stored: false, ...currentVersion(store, op.key) };
        case 'del': {
          const { outcome, existed, previous } = store.delete(op.key, op.version);
          const replaced = previous === undefined ? {} : { previous };
          return outcome === 'stored' ? { stored: true, existed, ...replaced } : { stored: false, existed, ...replaced, ...currentVersion(store, op.key) };
        }
      }
    } catch (error) {
      // A refused op (an entry too large for the store) answers with its error's one status.
      if (error instanceof CacheError) return { error: error.message, status: error.status };
      throw error;
    }
  });
}
