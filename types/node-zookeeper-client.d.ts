// The part of node-zookeeper-client (which ships no types) that we use.
declare module 'node-zookeeper-client' {
  import { EventEmitter } from 'node:events';

  export interface Stat {
    version: number;
    cversion: number;
    ephemeralOwner: Buffer;
  }

  export interface WatcherEvent {
    type: number;
    name: string;
    path: string;
  }

  export interface ZkError extends Error {
    code: number;
    name: string;
  }

  export class Exception {
    static readonly NO_NODE: number;
    static readonly NODE_EXISTS: number;
    static readonly CONNECTION_LOSS: number;
    static readonly SESSION_EXPIRED: number;
    static readonly BAD_VERSION: number;
  }

  export const CreateMode: { PERSISTENT: number; EPHEMERAL: number };

  export interface ClientOptions {
    sessionTimeout?: number;
    spinDelay?: number;
    retries?: number;
  }

  export class Client extends EventEmitter {
    connect(): void;
    close(): void;
    getSessionId(): Buffer;
    getState(): { name: string; code: number };
    create(path: string, data: Buffer | null, mode: number, callback: (error: ZkError | null, path: string) => void): void;
    mkdirp(path: string, callback: (error: ZkError | null, path: string) => void): void;
    remove(path: string, version: number, callback: (error: ZkError | null) => void): void;
    setData(path: string, data: Buffer | null, version: number, callback: (error: ZkError | null, stat: Stat) => void): void;
    getData(
      path: string,
      watcher: ((event: WatcherEvent) => void) | undefined,
      callback: (error: ZkError | null, data: Buffer | undefined, stat: Stat) => void,
    ): void;
    exists(path: string, callback: (error: ZkError | null, stat: Stat | null) => void): void;
    getChildren(
      path: string,
      watcher: ((event: WatcherEvent) => void) | undefined,
      callback: (error: ZkError | null, children: string[], stat: Stat) => void,
    ): void;
  }

  export function createClient(connectionString: string, options?: ClientOptions): Client;
}
