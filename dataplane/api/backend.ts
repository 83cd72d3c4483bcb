// What the public API needs from whatever holds the keys. The router
// implements it over the ring; a server implements it over its own store.
import type { RingDescription } from '../ring/ring-view.js';

export interface WriteRequest {
  key: string;
  value: string;
  /** Seconds until the key expires; undefined means never. */
  ttlSeconds: number | undefined;
}

export interface CacheBackend {
  /** Values in the order of the keys; undefined for a key that is absent. */
  getMany(keys: readonly string[]): Promise<Array<string | undefined>>;
  /** Resolves once every write is stored on its owners. */
  setMany(writes: readonly WriteRequest[]): Promise<void>;
  /** Resolves true when the key held a value. */
  delete(key: string): Promise<boolean>;
  describeRing(): RingDescription;
  /** Ready to serve: for a router, a non-empty ring; for a server, registered and not leaving. */
  isReady(): boolean;
}
