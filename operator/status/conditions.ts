// Status conditions as the Kubernetes API conventions describe them: one per
// type, and lastTransitionTime moves only when the status does.
import type { Condition, ConditionStatus } from '../api/distributed-cache.js';
import { timestamp } from '../api/time.js';

export const CONDITION = {
  ready: 'Ready', replicated: 'Replicated', progressing: 'Progressing', degraded: 'Degraded', zoneSafe: 'ZoneSafe', monitoringReady: 'MonitoringReady',
} as const;
export type ConditionType = (typeof CONDITION)[keyof typeof CONDITION];

/** A condition as computed, before it meets the previous one. */
export interface ConditionUpdate {
  type: ConditionType;
  status: ConditionStatus;
  reason: string;
  message: string;
}

/**
 * Merges computed conditions with the previous ones: a condition whose status
 * is unchanged keeps its lastTransitionTime; others get `now`.
 */
export function mergeConditions(
  previous: readonly Condition[] | undefined,
  updates: readonly ConditionUpdate[],
  observedGeneration: number,
  now: Date,
): Condition[] {
  return updates.map((update) => {
    const before = previous?.find((condition) => condition.type === update.type);
    const lastTransitionTime =
      before !== undefined && before.status === update.status ? before.lastTransitionTime : timestamp(now);
    return { ...update, observedGeneration, lastTransitionTime };
  });
}

export function findCondition(conditions: readonly Condition[] | undefined, type: ConditionType): Condition | undefined {
  return conditions?.find((condition) => condition.type === type);
}

/** Conditions whose status differs between two lists: what deserves an Event. */
export function transitions(before: readonly Condition[] | undefined, after: readonly Condition[]): Condition[] {
  return after.filter((condition) => findCondition(before, condition.type as ConditionType)?.status !== condition.status);
}
