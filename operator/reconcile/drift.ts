// Does a child need applying? Pure: compares what the operator wants with
// what the cluster holds, so that a reconcile with nothing to change makes no
// writes at all.
import { ANNOTATION } from '../resources/names.js';
import type { ChildObject } from '../resources/child-kinds.js';

export type ApplyReason = 'missing' | 'changed' | 'drifted';

/**
 * Why `desired` must be applied over `observed`, or undefined when it need
 * not be. `changed`: the operator's own intent moved on (the applied-hash
 * annotation differs), which also covers fields it stopped setting. `drifted`:
 * someone edited or removed a field the operator sets.
 */
export function applyReason(desired: ChildObject, observed: unknown): ApplyReason | undefined {
  if (observed === undefined) return 'missing';
  const wanted = desired.metadata.annotations?.[ANNOTATION.appliedHash];
  const found = (observed as ChildObject).metadata?.annotations?.[ANNOTATION.appliedHash];
  if (wanted !== found) return 'changed';
  return contains(observed, desired, []) ? undefined : 'drifted';
}

/**
 * Whether `actual` holds every field of `wanted` with the same value. Fields
 * that only `actual` has (defaults, status, other managers' fields) are fine.
 * Lists must match item by item, as server-side apply sets them.
 */
export function contains(actual: unknown, wanted: unknown, path: readonly string[]): boolean {
  if (wanted === undefined) return true;
  if (Array.isArray(wanted)) {
    // The API server omits empty lists.
    if (wanted.length === 0) return actual === undefined || (Array.isArray(actual) && actual.length === 0);
    return Array.isArray(actual) && actual.length === wanted.length && wanted.every((item, i) => contains(actual[i], item, path));
  }
  if (typeof wanted === 'object' && wanted !== null) {
    if (typeof actual !== 'object' || actual === null || Array.isArray(actual)) return false;
    const record = actual as Record<string, unknown>;
    return Object.entries(wanted).every(([key, value]) => contains(record[key], value, [...path, key]));
  }
  if (actual === wanted) return true;
  // The API server stores quantities in canonical form ("1000m" comes back as "1").
  return isQuantityPath(path) && sameQuantity(actual, wanted);
}

function isQuantityPath(path: readonly string[]): boolean {
  return path.includes('requests') || path.includes('limits');
}

const SUFFIX: Record<string, number> = {
  n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};

/** A Kubernetes quantity's value, or undefined for something else. */
export function quantityValue(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string') return undefined;
  const match = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?)$/.exec(value.trim());
  if (match === null) return undefined;
  const [, number, exponent, suffix] = match;
  const base = Number(number);
  if (exponent !== undefined) return base * 10 ** Number(exponent.slice(1));
  return base * (SUFFIX[suffix ?? ''] ?? 1);
}

function sameQuantity(a: unknown, b: unknown): boolean {
  const x = quantityValue(a);
  const y = quantityValue(b);
  if (x === undefined || y === undefined) return false;
  return Math.abs(x - y) <= Math.abs(y) * 1e-12;
}
