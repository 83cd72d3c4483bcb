// The servers' internal batch route, used by routers for every read and write
// (a single key is a batch of one) and by servers for hand-off. Not public.
import { isVersion, type Version } from '../version/hlc.js';
import { BadRequestError } from './errors.js';
import { validateKey } from './validation.js';

export const INTERNAL_BATCH_PATH = '/internal/v1/batch';

export type BatchOp =
  | { op: 'get'; key: string }
  /** Stores a value, or a tombstone when value is null, if its version is newer. */
  | { op: 'put'; key: string; value: string | null; version: Version; expiresAt: number }
  /** Deletes with a tombstone and reports whether a live value was there. */
  | { op: 'del'; key: string; version: Version };

/**
 * A read's answer. `leaving`: the server is leaving (it answers reads, takes
 * no writes), so a reader that still counts it as a deciding owner learns
 * otherwise and asks the owners that take writes (docs/consistency.md, "Reads").
 */
export type BatchResult =
  | { found: true; value: string; version: Version; expiresAt: number; leaving?: true }
  /** Absent; `version` is the delete's when a tombstone remembers one. */
  | { found: false; version?: Version; leaving?: true }
  /**
   * A write's outcome. When it did not take effect, `current` is the version
   * the key holds instead (newer, or this very write when it arrived by
   * hand-off first), so a router can order its write after it.
   */
  | { stored: boolean; current?: Version }
  /** A delete's outcome: `existed` says whether a live value was there, `previous` the version of what was. */
  | { stored: boolean; existed: boolean; previous?: Version; current?: Version }
  /** The server is leaving: it takes no more writes, and the sender should re-route. */
  | { refused: 'leaving' }
  | { error: string; status: number };

export interface BatchRequest {
  ops: BatchOp[];
}

export interface BatchResponse {
  results: BatchResult[];
}

/** Checks a decoded batch body; a malformed op rejects the whole batch. */
export function parseBatchRequest(body: unknown): BatchRequest {
  const ops = (body as { ops?: unknown } | null)?.ops;
  if (!Array.isArray(ops)) throw new BadRequestError('batch body must be {"ops": [...]}');
  return { ops: ops.map(parseOp) };
}

function parseOp(raw: unknown, index: number): BatchOp {
  const op = raw as Record<string, unknown> | null;
  const where = `ops[${index}]`;
  if (typeof op !== 'object' || op === null) throw new BadRequestError(`${where} must be an object`);
  const key = validateKey(op.key);
  switch (op.op) {
    case 'get':
      return { op: 'get', key };
    case 'put': {
      if (op.value !== null && typeof op.value !== 'string') throw new BadRequestError(`${where}.value must be a string or null`);
      if (!isVersion(op.version)) throw new BadRequestError(`${where}.version is not a version`);
      if (typeof op.expiresAt !== 'number' || op.expiresAt < 0) throw new BadRequestError(`${where}.expiresAt must be a number`);
      return { op: 'put', key, value: op.value, version: op.version, expiresAt: op.expiresAt };
    }
    case 'del':
      if (!isVersion(op.version)) throw new BadRequestError(`${where}.version is not a version`);
      return { op: 'del', key, version: op.version };
    default:
      throw new BadRequestError(`${where}.op must be get, put or del`);
  }
}
