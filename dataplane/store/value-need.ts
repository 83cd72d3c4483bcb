// Which copies a hand-off must carry a value for (issue 17). Pure: the sender
// and the receiver compare versions, and a value travels only where the
// receiver lacks the key or holds an older version of it. Versions are total
// and unique per write, so "same version" means "same write" (tombstones
// included), and skipping it loses nothing.
import { compareVersions, type Version } from '../version/hlc.js';

/** The receiver's side of an offer: whether it needs the value of a version it was offered. */
export function needsValue(held: Version | undefined, offered: Version): boolean {
  return held === undefined || compareVersions(held, offered) < 0;
}

/**
 * The sender's side, when the answer is back: the entry it holds now is sent
 * if the receiver asked for it, or if it changed since the offer (a newer
 * local write the receiver was never asked about). Nothing is sent for an
 * entry that expired meanwhile.
 */
export function sendsAfterOffer(offered: Version, now: Version | undefined, wanted: boolean): boolean {
  return now !== undefined && (wanted || now !== offered);
}

/** A pull source's side: whether the requester already holds this version or a newer one. */
export function heldByRequester(have: ReadonlyMap<string, Version>, key: string, version: Version): boolean {
  const held = have.get(key);
  return held !== undefined && !needsValue(held, version);
}

/** The offer answer for entries against a store's current versions ("1" = send the value). */
export function wantedValues(offered: ReadonlyArray<readonly [string, Version]>, heldVersion: (key: string) => Version | undefined): string {
  let want = '';
  for (const [key, version] of offered) want += needsValue(heldVersion(key), version) ? '1' : '0';
  return want;
}

/** A receiver that wanted at least this share of an offer is taken to lack the keys (a new owner after a crash). */
export const COLD_WANT_SHARE = 0.95;
/** Batches sent to such a receiver without an offer, which would only add bytes and a round trip, before one probes again. */
export const COLD_SKIPPED_OFFERS = 7;

/** How many of a receiver's next batches go without an offer, given what it wanted of the last one. */
export function offersToSkip(wanted: number, offered: number): number {
  return offered > 0 && wanted / offered >= COLD_WANT_SHARE ? COLD_SKIPPED_OFFERS : 0;
}
