// A router's TLS credential: the certificate and key its public API serves,
// read from two files and re-read every few seconds, so a renewed certificate
// (a Kubernetes Secret updated in place, or files replaced by hand) is served
// with no restart. Only new connections get the new pair; open ones keep theirs.
// The decisions are in tls-pair.ts. Never logs a key.
import { readFile } from 'node:fs/promises';
import type { SecureContextOptions } from 'node:tls';
import type { Counter, Gauge } from 'prom-client';
import { ConfigError, type TlsFiles } from '../config/settings.js';
import { SETTINGS } from '../config/contract.js';
import type { Logger } from '../observability/logger.js';
import {
  checkTlsPair,
  initialReloadState,
  isTlsProblem,
  judgeTlsReload,
  type TlsFilesRead,
  type TlsPair,
  type TlsPairProblem,
  type TlsReloadState,
} from './tls-pair.js';
import { TOKEN_FILE_POLL_MS } from './token-file.js';

/** What takes a new pair: the HTTPS server (tls.Server's setSecureContext). */
export interface SecureContextTarget {
  setSecureContext(options: SecureContextOptions): void;
}

export interface TlsMetrics {
  reloads: Counter;
  reloadFailures: Counter<'reason'>;
  expiry: Gauge;
}

async function readOne(path: string, file: 'cert' | 'key'): Promise<Buffer | TlsPairProblem> {
  try {
    return await readFile(path);
  } catch (error) {
    return { reason: 'unreadable', file, problem: `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}` };
  }
}

/**
 * Reads both files; undefined when the certificate changed while they were
 * read (a Secret's symlink swap between the two reads), so that a torn pair
 * is never judged: the next poll reads them again.
 */
export async function readTlsFiles(files: TlsFiles): Promise<TlsFilesRead | undefined> {
  const cert = await readOne(files.certFile, 'cert');
  if (!Buffer.isBuffer(cert)) return cert;
  const key = await readOne(files.keyFile, 'key');
  if (!Buffer.isBuffer(key)) return key;
  const again = await readOne(files.certFile, 'cert');
  if (!Buffer.isBuffer(again) || !again.equals(cert)) return undefined;
  return { cert, key };
}

/** The start-up error for a problem: it names the setting and the file to fix. */
function configErrorOf(problem: TlsPairProblem, files: TlsFiles): ConfigError {
  if (problem.file === 'pair') return new ConfigError(`${SETTINGS.tlsCert.env} and ${SETTINGS.tlsKey.env}`, problem.problem);
  const [setting, path] = problem.file === 'cert' ? [SETTINGS.tlsCert.env, files.certFile] : [SETTINGS.tlsKey.env, files.keyFile];
  // A read error already names its file.
  return new ConfigError(setting, problem.reason === 'unreadable' ? problem.problem : `${path}: ${problem.problem}`);
}

export class TlsCredential {
  private state: TlsReloadState;
  private poller: NodeJS.Timeout | undefined;

  private constructor(private readonly files: TlsFiles, private current: TlsPair) {
    this.state = initialReloadState(current);
  }

  /** Reads and checks the pair; any problem is a ConfigError, as a bad setting is. */
  static async open(files: TlsFiles): Promise<TlsCredential> {
    const read = (await readTlsFiles(files)) ?? (await readTlsFiles(files));
    if (read === undefined) throw new ConfigError(SETTINGS.tlsCert.env, `${files.certFile} kept changing while it was read`);
    const pair = isTlsProblem(read) ? read : checkTlsPair(read.cert, read.key);
    if (isTlsProblem(pair)) throw configErrorOf(pair, files);
    return new TlsCredential(files, pair);
  }

  get pair(): TlsPair {
    return this.current;
  }

  get secureContextOptions(): SecureContextOptions {
    return { cert: this.current.cert, key: this.current.key };
  }

  /** Re-reads the files until stop(), handing each new good pair to `target`; a bad one is logged and counted once. */
  watch(target: SecureContextTarget, metrics: TlsMetrics, logger: Logger): this {
    if (this.poller !== undefined) return this;
    metrics.expiry.set(this.current.notAfter.getTime() / 1000);
    let polling = false;
    this.poller = setInterval(() => {
      // A slow disk must not stack reads of the same files.
      if (polling) return;
      polling = true;
      void readTlsFiles(this.files)
        .then((read) => {
          if (read !== undefined) this.judge(read, target, metrics, logger);
        })
        .finally(() => (polling = false));
    }, TOKEN_FILE_POLL_MS);
    this.poller.unref();
    return this;
  }

  stop(): void {
    clearInterval(this.poller);
    this.poller = undefined;
  }

  private judge(read: TlsFilesRead, target: SecureContextTarget, metrics: TlsMetrics, logger: Logger): void {
    const { next, outcome } = judgeTlsReload(this.state, read);
    this.state = next;
    const files = { cert: this.files.certFile, key: this.files.keyFile };
    if (outcome.kind === 'refuse') {
      metrics.reloadFailures.inc({ reason: outcome.reason });
      logger.warn({ ...files, reason: outcome.reason, problem: outcome.problem, serving: this.current.serialNumber }, 'cannot use the changed TLS files; still serving the certificate loaded before');
      return;
    }
    if (outcome.kind !== 'load') return;
    target.setSecureContext({ cert: outcome.pair.cert, key: outcome.pair.key });
    const previous = this.current;
    this.current = outcome.pair;
    metrics.reloads.inc();
    metrics.expiry.set(outcome.pair.notAfter.getTime() / 1000);
    logger.info({ ...files, serial: outcome.pair.serialNumber, previousSerial: previous.serialNumber, notAfter: outcome.pair.notAfter.toISOString() }, 'TLS certificate reloaded');
  }
}
