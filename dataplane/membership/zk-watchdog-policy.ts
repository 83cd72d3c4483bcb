// What the ZooKeeper session's watchdog does on each look, as a pure function
// of what it has seen; zk-session.ts does the I/O (docs/architecture.md,
// "Membership").
//
// A connection with no session, or with a probe unanswered, for a quarter of
// the session timeout is dropped: a frozen member is left fast, and the next
// one resumes the session long before it expires. But a ZooKeeper that is
// only slow answers every member's handshake late too, and dropping each of
// those kept a process disconnected for as long as ZooKeeper stayed slow. So
// after a drop, until a connection is healthy again, the watchdog waits up to
// two thirds of the session (the read timeout of ZooKeeper's Java and C
// clients) before it drops again. A fresh client (a new session) comes only after three
// session timeouts without a connection, when the old session must be gone.

export interface WatchdogView {
  now: number;
  sessionTimeoutMs: number;
  connected: boolean;
  /** While not connected: since when (the client's start, or the loss). */
  disconnectedSince: number | undefined;
  /** While not connected: when the current try for a session began (the start, a loss or a drop). */
  attemptStartedAt: number | undefined;
  /** While connected: when the probe in flight was sent. */
  probeSentAt: number | undefined;
  /** The watchdog has dropped a connection, and none has been healthy since. */
  droppedSinceHealthy: boolean;
}

export type WatchdogAction =
  | { kind: 'wait' }
  | { kind: 'probe' }
  | { kind: 'drop'; reason: string; afterMs: number }
  | { kind: 'fresh-session'; reason: string; afterMs: number };

/** The first limit: a quarter of the session, which leaves most of it for the next member to resume the session. */
export function quickLimitMs(sessionTimeoutMs: number): number {
  return Math.max(1000, Math.floor(sessionTimeoutMs / 4));
}

/** The limit after a drop that did not help: ZooKeeper may be slow rather than gone. */
export function patientLimitMs(sessionTimeoutMs: number): number {
  return Math.max(quickLimitMs(sessionTimeoutMs), Math.floor((sessionTimeoutMs * 2) / 3));
}

/** With no connection for this long, the session is surely gone. */
export function freshSessionAfterMs(sessionTimeoutMs: number): number {
  return Math.max(3000, 3 * sessionTimeoutMs);
}

/** A probe answered this fast shows a healthy connection: the next stuck one gets the quick limit again. */
export function isHealthyAnswer(answeredInMs: number, sessionTimeoutMs: number): boolean {
  return answeredInMs <= quickLimitMs(sessionTimeoutMs);
}

export function watchdogAction(view: WatchdogView): WatchdogAction {
  const { now, sessionTimeoutMs } = view;
  const stuckAfterMs = view.droppedSinceHealthy ? patientLimitMs(sessionTimeoutMs) : quickLimitMs(sessionTimeoutMs);
  if (!view.connected) {
    const freshAfterMs = freshSessionAfterMs(sessionTimeoutMs);
    if (now - (view.disconnectedSince ?? now) > freshAfterMs) return { kind: 'fresh-session', reason: 'no connection', afterMs: freshAfterMs };
    if (now - (view.attemptStartedAt ?? now) > stuckAfterMs) return { kind: 'drop', reason: 'no session after connecting', afterMs: stuckAfterMs };
    return { kind: 'wait' };
  }
  if (view.probeSentAt === undefined) return { kind: 'probe' };
  if (now - view.probeSentAt > stuckAfterMs) return { kind: 'drop', reason: 'no answer to a probe', afterMs: stuckAfterMs };
  return { kind: 'wait' };
}
