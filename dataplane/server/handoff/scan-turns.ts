// Hand-off scans walk a whole store. Between stretches of keys they give the
// event loop a turn, so that requests and ZooKeeper heartbeats are not starved:
// a joiner that built its `have` list of 200k keys for three sources in one go
// held its process for seconds on a loaded machine, its session expired, and
// it joined again, and again (`npm run bench`, 2026-11-30).
//
// Each scan counts its keys and, every KEYS_PER_TURN of them, awaits nextTurn().
// The check is written at the call site, so the other keys cost no promise.
export { setImmediate as nextTurn } from 'node:timers/promises';

/** Keys a scan looks at between turns of the event loop. */
export const KEYS_PER_TURN = 2048;
