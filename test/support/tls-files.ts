// Certificates for tests and the bench, made by Debian's openssl: a test CA,
// certificates it issues for localhost with a chosen serial, a directory that
// is updated as the kubelet updates a mounted Secret, and HTTPS calls that
// trust the CA and report which certificate answered.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request, type Agent } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface PemPair {
  cert: Buffer;
  key: Buffer;
}

export interface TestCa extends PemPair {
  dir: string;
  certFile: string;
  keyFile: string;
}

/** A new P-256 key as PEM. */
export async function newKey(dir: string, name: string): Promise<Buffer> {
  const file = join(dir, `${name}.key`);
  await run('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', file]);
  return readFileSync(file);
}

/** A self-signed CA, valid for two days, in a new temporary directory. */
export async function makeTestCa(): Promise<TestCa> {
  const dir = mkdtempSync(join(tmpdir(), 'dcache-tls-'));
  const certFile = join(dir, 'ca.crt');
  const keyFile = join(dir, 'ca.key');
  await newKey(dir, 'ca');
  await run('openssl', ['req', '-x509', '-new', '-key', keyFile, '-subj', '/CN=distributed-cache test CA', '-days', '2', '-out', certFile]);
  return { dir, certFile, keyFile, cert: readFileSync(certFile), key: readFileSync(keyFile) };
}

/**
 * A certificate for localhost and 127.0.0.1 that `ca` issues, with serial
 * `serial` (hex, as Node reports it), and a new key unless one is given.
 */
export async function issueCertificate(ca: TestCa, serial: string, key?: Buffer): Promise<PemPair> {
  const dir = mkdtempSync(join(ca.dir, `leaf-${serial}-`));
  const keyFile = join(dir, 'tls.key');
  if (key === undefined) await newKey(dir, 'tls');
  else writeFileSync(keyFile, key);
  const csr = join(dir, 'tls.csr');
  const extensions = join(dir, 'extensions.cnf');
  const certFile = join(dir, 'tls.crt');
  writeFileSync(extensions, 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  await run('openssl', ['req', '-new', '-key', keyFile, '-subj', '/CN=localhost', '-out', csr]);
  await run('openssl', [
    'x509', '-req', '-in', csr, '-CA', ca.certFile, '-CAkey', ca.keyFile, '-set_serial', `0x${serial}`, '-days', '1', '-extfile', extensions, '-out', certFile,
  ]);
  return { cert: readFileSync(certFile), key: readFileSync(keyFile) };
}

/**
 * A directory laid out as the kubelet lays out a Secret volume: the files are
 * symlinks through `..data`, which points at a timestamped directory, and an
 * update writes a new directory and renames a new `..data` over the old one,
 * so a reader sees the old files or the new ones, never a mix.
 */
export class SecretVolumeDir {
  readonly certFile: string;
  readonly keyFile: string;
  private generation = 0;
  private current: string | undefined;

  constructor(readonly dir: string = mkdtempSync(join(tmpdir(), 'dcache-tls-volume-'))) {
    this.certFile = join(dir, 'tls.crt');
    this.keyFile = join(dir, 'tls.key');
  }

  publish(pair: PemPair): void {
    const name = `..${new Date().toISOString().replace(/[:.]/g, '_')}.${++this.generation}`;
    mkdirSync(join(this.dir, name));
    writeFileSync(join(this.dir, name, 'tls.crt'), pair.cert);
    writeFileSync(join(this.dir, name, 'tls.key'), pair.key, { mode: 0o600 });
    symlinkSync(name, join(this.dir, '..data_tmp'));
    renameSync(join(this.dir, '..data_tmp'), join(this.dir, '..data'));
    if (this.current === undefined) {
      symlinkSync('..data/tls.crt', this.certFile);
      symlinkSync('..data/tls.key', this.keyFile);
    } else {
      rmSync(join(this.dir, this.current), { recursive: true });
    }
    this.current = name;
  }
}

export interface HttpsAnswer {
  status: number;
  text: string;
  /** The serial of the certificate the server presented on this connection. */
  serial: string;
  /** Whether the request went over a kept-alive connection. */
  reusedSocket: boolean;
  /** The client side's port: one per connection. */
  localPort: number | undefined;
}

/** One HTTPS request that trusts `ca` only; `agent` keeps connections alive across calls. */
export function httpsCall(url: string, options: { ca: Buffer; agent?: Agent; method?: string; body?: string; headers?: Record<string, string> }): Promise<HttpsAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: options.method ?? 'GET',
      ca: options.ca,
      headers: options.headers ?? {},
      ...(options.agent !== undefined ? { agent: options.agent } : { agent: false }),
    }, (res) => {
      const socket = res.socket as TLSSocket;
      const serial = socket.getPeerCertificate().serialNumber;
      const localPort = socket.localPort;
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text, serial, reusedSocket: req.reusedSocket, localPort }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}
