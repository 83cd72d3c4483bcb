// Client credentials for the public API (opt-in): bearer tokens, any number,
// in a file a router re-reads. Pure: the file's format, the Authorization
// header's, and the check, which is the cluster token's constant-time digest
// comparison (cluster-token.ts), so there is one comparison to get right.
import { judgeToken, tokenDigest, tokenProblem, type TokenVerdict } from './cluster-token.js';

/** Paths that stay open with client auth on: probes and scrapes carry no token (README "Security"). */
export const OPEN_PATHS: ReadonlySet<string> = new Set(['/healthz', '/readyz', '/metrics']);
/** Enough for a token per client application; each request compares against all of them. */
export const MAX_CLIENT_TOKENS = 256;

/**
 * Reads a client tokens file: one token per line; blank lines, surrounding
 * spaces and lines starting with `#` ignored. Returns each token's digest, or
 * why the file cannot be used (naming the line, never quoting a token).
 */
export function parseClientTokens(text: string): Buffer[] | { problem: string } {
  const digests: Buffer[] = [];
  for (const [index, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const problem = tokenProblem(line);
    if (problem !== undefined) return { problem: `the token on line ${index + 1} ${problem}` };
    digests.push(tokenDigest(line));
  }
  if (digests.length === 0) return { problem: 'the file holds no token' };
  if (digests.length > MAX_CLIENT_TOKENS) return { problem: `the file holds more than ${MAX_CLIENT_TOKENS} tokens` };
  return digests;
}

/** The token of `Authorization: Bearer <token>` (scheme in any case), '' when the header is absent or another scheme. */
export function bearerToken(authorization: string | undefined): string {
  const match = /^bearer +(\S+) *$/i.exec(authorization ?? '');
  return match?.[1] ?? '';
}

/** Judges a request's Authorization header against the accepted digests, in constant time. */
export function judgeBearer(authorization: string | undefined, accepted: readonly Buffer[]): TokenVerdict {
  const token = bearerToken(authorization);
  if (token === '' && authorization !== undefined && authorization !== '') return 'wrong';
  return judgeToken(token, accepted);
}
