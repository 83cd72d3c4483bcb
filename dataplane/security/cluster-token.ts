// The cluster credential: a shared token that every call to an internal route
// (/internal/v1/*) carries, from routers to servers and between servers.
// Pure: the token's syntax, the token file's format, and the check itself.
import { createHash, timingSafeEqual } from 'node:crypto';

/** Internal calls carry the token here, apart from Authorization, which is left to client credentials. */
export const CLUSTER_TOKEN_HEADER = 'x-cluster-token';
/** Every path under this prefix requires the token. */
export const INTERNAL_PATH_PREFIX = '/internal/';
/** Shorter tokens are refused at start: a guessable token protects nothing. */
export const MIN_TOKEN_LENGTH = 16;

/** What a process holds: it sends `current`, and accepts `current` and `previous` (during a rotation). */
export interface ClusterTokens {
  readonly current: string;
  readonly previous?: string | undefined;
}

export type TokenVerdict = 'accepted' | 'missing' | 'wrong';

/** Why a token cannot be used, or undefined. Never quotes the token. */
export function tokenProblem(token: string): string | undefined {
  if (token.length < MIN_TOKEN_LENGTH) return `must be at least ${MIN_TOKEN_LENGTH} characters`;
  if (!/^[\x21-\x7e]+$/.test(token)) return 'must be printable ASCII without spaces';
  return undefined;
}

/**
 * Reads a token file: the current token on the first line, optionally the
 * previous one on the second (blank lines and surrounding spaces ignored).
 * Returns the tokens, or why the file cannot be used.
 */
export function parseTokenFile(text: string): ClusterTokens | { problem: string } {
  const lines = text.split('\n').map((line) => line.trim()).filter((line) => line !== '');
  if (lines.length === 0) return { problem: 'the file holds no token' };
  if (lines.length > 2) return { problem: 'the file holds more than two tokens (current, then previous)' };
  for (const [index, token] of lines.entries()) {
    const problem = tokenProblem(token);
    if (problem !== undefined) return { problem: `the ${index === 0 ? 'current' : 'previous'} token ${problem}` };
  }
  return { current: lines[0] as string, previous: lines[1] };
}

/** Same length whatever the token's, so comparing digests tells nothing about a token's length. */
export function tokenDigest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** The digests a server compares a presented token against. */
export function acceptedDigests(tokens: ClusterTokens): Buffer[] {
  return [tokens.current, ...(tokens.previous !== undefined ? [tokens.previous] : [])].map(tokenDigest);
}

/**
 * Judges the token a request presented. Constant time: equal-length digests
 * compared with timingSafeEqual, against every accepted token without
 * stopping at the first match.
 */
export function judgeToken(presented: string | string[] | undefined, accepted: readonly Buffer[]): TokenVerdict {
  if (presented === undefined || presented === '') return 'missing';
  if (typeof presented !== 'string') return 'wrong';
  const digest = tokenDigest(presented);
  let matched = false;
  for (const candidate of accepted) matched = timingSafeEqual(digest, candidate) || matched;
  return matched ? 'accepted' : 'wrong';
}

/** Where a process gets its tokens: the environment, a file it re-reads, or nowhere (--insecure). */
export type TokenSetting =
  | { source: 'env'; tokens: ClusterTokens }
  | { source: 'file'; path: string }
  | { source: 'none' };
