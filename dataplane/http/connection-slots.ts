// Which connection gives way when a process is at its connection cap (pure).
//
// Turning the newest connection away, as Node's own `maxConnections` does,
// lets whoever already holds the slots keep them: a slowloris that fills
// every slot with heads it never finishes locks out every new user until its
// heads time out, and it reopens them at once. So the connection that goes is
// the one that has waited longest on its client: a head or a body still
// arriving, an idle keep-alive connection, an answer its client does not
// read. A connection on which the process itself is working keeps its slot;
// only when every other connection is being worked on does the newcomer go.
// Reasons and bounds: docs/architecture.md "The connection guard".

interface Slot<R> {
  /** Requests in flight on the connection, with when each began. */
  readonly requests: Map<R, number>;
  /** When the connection last had no request in flight (its accept, or its last answer). */
  idleSince: number;
}

export class ConnectionSlots<C, R> {
  private readonly slots = new Map<C, Slot<R>>();

  /**
   * `waitingOnClient(request)` says whether a request in flight waits on its client (its body is
   * still arriving, or its answer is not being read) rather than on this process.
   */
  constructor(readonly capacity: number, private readonly waitingOnClient: (request: R) => boolean) {}

  get size(): number {
    return this.slots.size;
  }

  /**
   * Takes a new connection. When that puts the process over its capacity, returns the connection to
   * close: the one that has waited longest on its client, which is the newcomer itself only when every
   * other connection is being worked on. The returned connection no longer holds a slot.
   */
  admit(connection: C, now: number): C | undefined {
    this.slots.set(connection, { requests: new Map(), idleSince: now });
    if (this.slots.size <= this.capacity) return undefined;
    const victim = this.longestWaitingOnClient() ?? connection;
    this.slots.delete(victim);
    return victim;
  }

  requestStarted(connection: C, request: R, now: number): void {
    this.slots.get(connection)?.requests.set(request, now);
  }

  requestEnded(connection: C, request: R, now: number): void {
    const slot = this.slots.get(connection);
    if (slot?.requests.delete(request) && slot.requests.size === 0) slot.idleSince = now;
  }

  closed(connection: C): void {
    this.slots.delete(connection);
  }

  /** Since when a connection has waited on its client, or undefined while the process works on it. */
  private waitingSince(slot: Slot<R>): number | undefined {
    if (slot.requests.size === 0) return slot.idleSince;
    let oldest = Number.POSITIVE_INFINITY;
    for (const [request, startedAt] of slot.requests) {
      if (!this.waitingOnClient(request)) return undefined;
      oldest = Math.min(oldest, startedAt);
    }
    return oldest;
  }

  /** The earliest-admitted connection wins a tie, so the newcomer goes last. */
  private longestWaitingOnClient(): C | undefined {
    let victim: C | undefined;
    let since = Number.POSITIVE_INFINITY;
    for (const [connection, slot] of this.slots) {
      const waiting = this.waitingSince(slot);
      if (waiting !== undefined && waiting < since) {
        victim = connection;
        since = waiting;
      }
    }
    return victim;
  }
}
