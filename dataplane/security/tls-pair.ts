// The router's certificate and key (TLS on the public API), and the decision
// whether a fresh read of the two files replaces the pair it serves. Pure: it
// parses and compares, and never touches a file or a socket.
import { createHash, createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { createSecureContext } from 'node:tls';

/** A certificate (chain) and its private key that belong together, as PEM. */
export interface TlsPair {
  cert: Buffer;
  key: Buffer;
  /** Of the first (leaf) certificate: which one this is, for logs and tests. */
  serialNumber: string;
  subject: string;
  notAfter: Date;
}

/** Why a pair cannot be served; `file` says which setting to blame. */
export interface TlsPairProblem {
  reason: 'unreadable' | 'invalid' | 'mismatch';
  file: 'cert' | 'key' | 'pair';
  problem: string;
}

export type TlsFilesRead = { cert: Buffer; key: Buffer } | TlsPairProblem;

export function isTlsProblem<T extends object>(value: T | TlsPairProblem): value is TlsPairProblem {
  return 'problem' in value;
}

/** Checks that `cert` is a certificate, `key` a private key, that the key is the certificate's, and that OpenSSL takes them. */
export function checkTlsPair(cert: Buffer, key: Buffer): TlsPair | TlsPairProblem {
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(cert);
  } catch {
    return { reason: 'invalid', file: 'cert', problem: 'not a PEM certificate' };
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(key);
  } catch {
    // An encrypted key lands here too: the router has no passphrase to give.
    return { reason: 'invalid', file: 'key', problem: 'not an unencrypted PEM private key' };
  }
  if (!certificate.checkPrivateKey(privateKey)) {
    return { reason: 'mismatch', file: 'key', problem: `the key does not belong to the certificate (serial ${certificate.serialNumber})` };
  }
  try {
    // OpenSSL has rules of its own (e.g. a key too small for its security level).
    createSecureContext({ cert, key });
  } catch (error) {
    return { reason: 'invalid', file: 'pair', problem: `OpenSSL refuses the pair: ${(error as Error).message}` };
  }
  return { cert, key, serialNumber: certificate.serialNumber, subject: certificate.subject, notAfter: new Date(certificate.validTo) };
}

/** What the watcher has seen: the contents it serves, and the last contents it judged (served or refused). */
export interface TlsReloadState {
  served: string;
  judged: string;
}

export type TlsReloadOutcome =
  | { kind: 'none' }
  | { kind: 'load'; pair: TlsPair }
  | { kind: 'refuse'; reason: TlsPairProblem['reason']; problem: string };

export interface TlsReloadDecision {
  next: TlsReloadState;
  outcome: TlsReloadOutcome;
}

/** A digest of both files' contents: what "changed" means. Kept instead of the contents, which hold the key. */
export function contentsDigest(cert: Buffer, key: Buffer): string {
  const digest = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
  return `${digest(cert)}:${digest(key)}`;
}

/** The state right after the router started with `pair`. */
export function initialReloadState(pair: TlsPair): TlsReloadState {
  const digest = contentsDigest(pair.cert, pair.key);
  return { served: digest, judged: digest };
}

/**
 * Judges one read of the files. Contents already judged change nothing, so a
 * bad pair is refused (logged, counted) once, not on every poll. New contents
 * are served only when the certificate and key check out together; anything
 * else keeps the pair in use, so a half-written update is never served.
 */
export function judgeTlsReload(state: TlsReloadState, read: TlsFilesRead): TlsReloadDecision {
  const digest = isTlsProblem(read) ? `problem:${read.problem}` : contentsDigest(read.cert, read.key);
  if (digest === state.judged) return { next: state, outcome: { kind: 'none' } };
  const next = { ...state, judged: digest };
  if (isTlsProblem(read)) return { next, outcome: { kind: 'refuse', reason: read.reason, problem: read.problem } };
  // Back to the pair in use (after a bad read in between): nothing to load.
  if (digest === state.served) return { next, outcome: { kind: 'none' } };
  const checked = checkTlsPair(read.cert, read.key);
  if (isTlsProblem(checked)) return { next, outcome: { kind: 'refuse', reason: checked.reason, problem: checked.problem } };
  return { next: { served: digest, judged: digest }, outcome: { kind: 'load', pair: checked } };
}
