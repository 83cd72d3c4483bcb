// The smart client's public API (client/README.md).
export { CacheClient, type Entry, type SetOptions } from './cache-client.js';
export type { ClientStats } from './client-counters.js';
export {
  AuthError, BadInputError, CacheClientError, ClosedError, ServerError, TooLargeError, UnavailableError, type CacheClientErrorKind,
} from './errors.js';
export type { CacheClientOptions, ClusterTokenOption, RouterRingOptions, ZooKeeperRingOptions } from './options.js';
export type { Member, MemberState } from '../../dataplane/ring/member.js';
export type { RingDescription } from '../../dataplane/ring/ring-view.js';
