// The internal pull route a joining server uses to fetch its keys from the
// members that hold them. The answer is NDJSON: one entry per line, streamed.
import { toMember, type Member } from '../ring/member.js';
import { isVersion, STAMP_LENGTH, type Version } from '../version/hlc.js';
import { BadRequestError } from './errors.js';

export const HANDOFF_PULL_PATH = '/internal/v1/handoff/pull';

/**
 * Time for a state change in ZooKeeper to reach every writer before data
 * moves: a joiner waits this long before it pulls, so that every router and
 * smart client writes to it by then (docs/consistency.md).
 */
export const HANDOFF_SETTLE_MS = 500;
/** The most a pull request may carry; past it, the requester cuts `have` short. */
export const MAX_PULL_REQUEST_BYTES = 64 * 1024 * 1024;

export interface PullRequest {
  /** The joining member asking. */
  requester: string;
  /** The placement ring's members as the requester sees them (it is among them). */
  members: Member[];
  /** The members holding keys now (the holding ring), as the requester sees them. */
  holders: Member[];
  /** Holders the requester could not pull from: the next holder of their keys sends them instead. */
  skip: string[];
  replicationFactor: number;
  /**
   * Added in issue 17, optional so that old and new servers pull from each
   * other: what the requester already holds of the keys this source would
   * send. The source leaves out every key held at its version or newer.
   */
  have?: VersionList;
  /**
   * Added in issue 17, optional like `have`: the requester reads answer lines
   * that carry many entries each (HandoffEntryBatch). An old source ignores it
   * and sends one entry per line, which a new requester reads too.
   */
  columns?: boolean;
}

export interface HandoffEntry {
  key: string;
  value: string | null;
  version: Version;
  expiresAt: number;
}

/** A pull request as a source reads it: `have` decoded (empty when an old requester sent none). */
export interface ReceivedPullRequest extends Omit<PullRequest, 'have' | 'columns'> {
  have: ReadonlyMap<string, Version>;
  columns: boolean;
}

export function parsePullRequest(body: unknown): ReceivedPullRequest {
  const raw = body as Partial<Record<keyof PullRequest, unknown>> | null;
  if (typeof raw?.requester !== 'string' || !Array.isArray(raw.members) || !Array.isArray(raw.holders) ||
      !Array.isArray(raw.skip) || typeof raw.replicationFactor !== 'number') {
    throw new BadRequestError('pull body must be {"requester", "members", "holders", "skip", "replicationFactor"}');
  }
  return {
    requester: raw.requester,
    members: parseMembers(raw.members, 'members'),
    holders: parseMembers(raw.holders, 'holders'),
    skip: raw.skip.filter((id): id is string => typeof id === 'string'),
    replicationFactor: raw.replicationFactor,
    have: new Map(raw.have === undefined ? [] : decodeVersionList(raw.have, 'have')),
    columns: raw.columns === true,
  };
}

function parseMembers(list: unknown[], field: string): Member[] {
  return list.map((raw: unknown, i): Member => {
    const member = toMember(raw);
    if (!member) throw new BadRequestError(`${field}[${i}] must be {"id", "address", "state"}`);
    return member;
  });
}

export function isHandoffEntry(raw: unknown): raw is HandoffEntry {
  const entry = raw as Partial<HandoffEntry> | null;
  return typeof entry?.key === 'string' && (entry.value === null || typeof entry.value === 'string') &&
    isVersion(entry.version) && typeof entry.expiresAt === 'number';
}

// Versions first, values where they are missing (issue 17). A sender offers the
// versions of the keys it would copy; the receiver answers which it lacks or
// holds older, and only those travel with their values (as batch-route puts).

export const HANDOFF_OFFER_PATH = '/internal/v1/handoff/offer';

/**
 * Keys with their exact versions, compactly: a version is its 16-hex-digit
 * stamp followed by its writer's index (base 36) in `writers`, since a few
 * routers write every key. `{"writers":["r1"],"keys":["a"],"versions":["0190…00000"]}`
 */
export interface VersionList {
  writers: string[];
  keys: string[];
  versions: string[];
}

/** What a receiver answers an offer: `want[i]` is "1" when it needs key i's value, else "0". */
export interface OfferAnswer {
  want: string;
}

export function encodeVersionList(entries: ReadonlyArray<readonly [string, Version]>): VersionList {
  const writers: string[] = [];
  const index = new Map<string, string>();
  const keys: string[] = [];
  const versions: string[] = [];
  for (const [key, version] of entries) {
    const writer = version.slice(STAMP_LENGTH);
    let ref = index.get(writer);
    if (ref === undefined) {
      ref = writers.length.toString(36);
      index.set(writer, ref);
      writers.push(writer);
    }
    keys.push(key);
    versions.push(version.slice(0, STAMP_LENGTH) + ref);
  }
  return { writers, keys, versions };
}

/** The entries of a version list; throws a 400 when it is malformed. */
export function decodeVersionList(raw: unknown, field = 'versions'): Array<[string, Version]> {
  const list = raw as Partial<Record<keyof VersionList, unknown>> | null;
  if (!Array.isArray(list?.writers) || !Array.isArray(list.keys) || !Array.isArray(list.versions) || list.keys.length !== list.versions.length) {
    throw new BadRequestError(`${field} must be {"writers", "keys", "versions"} with as many versions as keys`);
  }
  const writers = list.writers as unknown[];
  return list.keys.map((key: unknown, i): [string, Version] => {
    const encoded = (list.versions as unknown[])[i];
    const writer = typeof encoded === 'string' ? writers[parseInt(encoded.slice(STAMP_LENGTH), 36)] : undefined;
    const version = typeof encoded === 'string' && typeof writer === 'string' ? encoded.slice(0, STAMP_LENGTH) + writer : undefined;
    if (typeof key !== 'string' || !isVersion(version)) throw new BadRequestError(`${field}[${i}] is not a key with a version`);
    return [key, version];
  });
}

/**
 * One line of a pull answer with many entries, column by column: keys and
 * versions as in a VersionList, then each entry's value (null for a
 * tombstone) and expiry. About 40% fewer bytes than a line per entry, and
 * one JSON.parse per line instead of one per entry.
 */
export interface HandoffEntryBatch extends VersionList {
  values: Array<string | null>;
  expiresAt: number[];
}

export function encodeEntryBatch(entries: readonly HandoffEntry[]): HandoffEntryBatch {
  return {
    ...encodeVersionList(entries.map((e) => [e.key, e.version] as const)),
    values: entries.map((e) => e.value),
    expiresAt: entries.map((e) => e.expiresAt),
  };
}

/** The entries of a pull answer's line, in either form; undefined when it is malformed. */
export function decodePullLine(raw: unknown): HandoffEntry[] | undefined {
  if (isHandoffEntry(raw)) return [raw];
  const batch = raw as Partial<HandoffEntryBatch> | null;
  if (!Array.isArray(batch?.values) || !Array.isArray(batch.expiresAt)) return undefined;
  let versioned: Array<[string, Version]>;
  try {
    versioned = decodeVersionList(batch);
  } catch {
    return undefined;
  }
  const { values, expiresAt } = batch;
  if (values.length !== versioned.length || expiresAt.length !== versioned.length) return undefined;
  const entries: HandoffEntry[] = [];
  for (let i = 0; i < versioned.length; i++) {
    const [key, version] = versioned[i] as [string, Version];
    const value = values[i];
    const expires = expiresAt[i];
    if ((value !== null && typeof value !== 'string') || typeof expires !== 'number') return undefined;
    entries.push({ key, value: value as string | null, version, expiresAt: expires });
  }
  return entries;
}
