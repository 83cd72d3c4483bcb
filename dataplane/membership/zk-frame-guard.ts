// node-zookeeper-client parses ZooKeeper's frames inside its socket's 'data'
// handler and throws when it cannot (alexguan/node-zookeeper-client#23, #70:
// "Unknown code: -1095761916" once its framing is out of step, seen here when
// ZooKeeper wakes up after a freeze). A throw there is uncaught and would
// kill the whole cache process. The guard catches it and does what the
// library itself does for a frame out of order: drops the connection, after
// which it reconnects (and the session's watchdog takes over if that fails).
import type { Client } from 'node-zookeeper-client';

interface ConnectionManagerInternals {
  onSocketData: (buffer: Buffer) => void;
  pendingBuffer: Buffer | null;
  socket?: { destroy(): void } | null;
}

/** Installs the guard on one client before it connects; false if the library's internals have changed. */
export function guardFrameParsing(client: Client, onUnreadableFrame: (error: Error) => void): boolean {
  const manager = (client as unknown as { connectionManager?: Partial<ConnectionManagerInternals> }).connectionManager;
  const parse = manager?.onSocketData;
  if (!manager || typeof parse !== 'function') return false;
  manager.onSocketData = function guardedOnSocketData(this: ConnectionManagerInternals, buffer: Buffer): void {
    try {
      parse.call(this, buffer);
    } catch (error) {
      // Whatever is buffered belongs to the broken stream.
      this.pendingBuffer = null;
      this.socket?.destroy();
      onUnreadableFrame(error as Error);
    }
  };
  return true;
}
