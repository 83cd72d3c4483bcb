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
//
// A request costs one counter and one map write here: what a connection is
// doing is asked (worksOn) only when the process is full.

export class ConnectionSlots<C> {
  /** Each connection's last activity (its admission, or the start of its last request), in admission order. */
  private readonly lastActivity = new Map<C, number>();
  /** A logical clock: only the order of activities matters. */
  private ticks = 0;

  /**
   * `worksOn(connection)` says whether the process is working on a request of the connection (received
   * whole, its answer not stalled on the client), rather than waiting on its client.
   */
  constructor(readonly capacity: number, private readonly worksOn: (connection: C) => boolean) {}

  get size(): number {
    return this.lastActivity.size;
  }

  /**
   * Takes a new connection. When that puts the process over its capacity, returns the connection to
   * close: of those not being worked on, the one whose last activity is oldest, which is the newcomer
   * itself only when every other connection is being worked on. The returned connection no longer holds a slot.
   */
  admit(connection: C): C | undefined {
    this.lastActivity.set(connection, ++this.ticks);
    if (this.lastActivity.size <= this.capacity) return undefined;
    let victim = connection;
    let oldest = Number.POSITIVE_INFINITY;
    for (const [candidate, at] of this.lastActivity) {
      if (at < oldest && (candidate === connection || !this.worksOn(candidate))) {
        victim = candidate;
        oldest = at;
      }
    }
    this.lastActivity.delete(victim);
    return victim;
  }

  /** A request began on the connection: it waits on its client from now, not from before. */
  requestStarted(connection: C): void {
    if (this.lastActivity.has(connection)) this.lastActivity.set(connection, ++this.ticks);
  }

  /** Every connection holding a slot. */
  connections(): IterableIterator<C> {
    return this.lastActivity.keys();
  }

  closed(connection: C): void {
    this.lastActivity.delete(connection);
  }
}
