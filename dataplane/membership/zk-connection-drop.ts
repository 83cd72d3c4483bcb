// Drops a node-zookeeper-client's connection without ending its session. The
// library then connects to the next server of its connect string and resumes
// the same session there, as ZooKeeper allows within the session timeout; its
// ephemeral nodes (our registration) live on. Closing the client instead
// would end the session (or, with the connection dead, leave it to expire),
// and every server of a dead ZooKeeper member would leave the ring at once.
import type { Client } from 'node-zookeeper-client';

interface ConnectionManagerInternals {
  socket?: { destroy(): void } | null;
}

/**
 * Destroys the client's socket; the library reconnects by itself. False if
 * the library's internals have changed (or it has no socket), and the caller
 * must do without.
 */
export function dropConnection(client: Client): boolean {
  const manager = (client as unknown as { connectionManager?: ConnectionManagerInternals }).connectionManager;
  const socket = manager?.socket;
  if (!socket || typeof socket.destroy !== 'function') return false;
  socket.destroy();
  return true;
}
