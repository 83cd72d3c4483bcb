// Which keys move where when the ring changes. Pure: a server asks these for
// each key it holds, and the same answers come out in every process. When a
// change calls for a hand-off, and with whom, is in handoff-triggers.ts.
import type { Member } from './member.js';
import type { Ownership } from './ring.js';
import { placementMembers } from './ring-view.js';

export interface HandoffPlanOptions {
  replicationFactor: number;
  selfId: string;
  /** Joining members pull their keys themselves; a rebalance leaves them out, a drain does not. */
  includeJoining: boolean;
}

/**
 * The members that must receive a key this server holds when ownership moves
 * from `before` to `after`: new owners that were not owners before. Only a
 * server that owned the key before sends it, so copies that merely linger
 * elsewhere are never spread.
 */
export function handoffTargets(key: string, before: Ownership, after: Ownership, options: HandoffPlanOptions): Member[] {
  const previous = before.ownersOf(key, options.replicationFactor);
  if (!previous.some((m) => m.id === options.selfId)) return [];
  const previousIds = new Set(previous.map((m) => m.id));
  return after.ownersOf(key, options.replicationFactor).filter(
    (m) => m.id !== options.selfId && !previousIds.has(m.id) && (options.includeJoining || m.state !== 'joining'),
  );
}

/** Whether a member owns a key in a ring. */
export function ownsKey(key: string, ring: Ownership, memberId: string, replicationFactor: number): boolean {
  return ring.ownersOf(key, replicationFactor).some((m) => m.id === memberId);
}

/**
 * Whether `sourceId` should send a key to a joining member that pulls from
 * every other member. Among the holders, only the first holder of the key
 * that the joiner could reach sends it, so each key crosses the network once.
 * A holder that is leaving has refused writes since it began to leave and may
 * hold an older copy (a rolling update's joiner once pulled only such a copy,
 * and then answered reads with it), so when the first holder is leaving, the
 * first one that still takes writes sends the key too. The leaving one still
 * sends, as releases before this rule expect of it; the joiner keeps the
 * newer copy. A source that is not a holder (it is joining too) sends every key
 * the joiner owns: after ZooKeeper expired every session, all servers re-join
 * at once with their data, and a write made while only some of them were
 * registered may exist on one joiner alone.
 */
export function sendsOnPull(
  key: string, placement: Ownership, holding: Ownership, requesterId: string, sourceId: string, skip: ReadonlySet<string>, replicationFactor: number,
): boolean {
  if (!ownsKey(key, placement, requesterId, replicationFactor)) return false;
  if (!holding.has(sourceId)) return true;
  const reachable = holding.ownersOf(key, replicationFactor).filter((m) => !skip.has(m.id));
  return reachable[0]?.id === sourceId || reachable.find((m) => m.state !== 'leaving')?.id === sourceId;
}

/**
 * The members of the ring a drain hands keys off from: the placement ring as
 * if this server stayed. Its keys there are the ones it must pass on; the
 * other leaving members are left out, since they hand off their own.
 */
export function drainPlacement(members: readonly Member[], selfId: string): Member[] {
  return placementMembers(members.map((m) => (m.id === selfId ? { ...m, state: 'serving' as const } : m)));
}
