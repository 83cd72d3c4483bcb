// TLS on a real router (--tls-cert/--tls-key, TLS_CERT_FILE/TLS_KEY_FILE):
// the public API, probes and metrics over HTTPS with a CA the client trusts;
// plain HTTP on that port gets no answer; a renewed certificate, published as
// the kubelet publishes a Secret, is served with no restart while a kept-alive
// connection stays open; a key that does not belong to its certificate is
// refused and counted, and the pair in use stays. METRICS_PORT speaks HTTPS
// too, and takes the renewed pair with the public port. Certificates: openssl.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalCluster } from '../../support/cluster.js';
import { freePort } from '../../support/ports.js';
import type { DataplaneProcess } from '../../support/dataplane-process.js';
import { httpsCall, issueCertificate, makeTestCa, SecretVolumeDir, type PemPair, type TestCa } from '../../support/tls-files.js';
import { waitFor } from '../../support/wait.js';

const MAIN = fileURLToPath(new URL('../../../dataplane/main.js', import.meta.url));
const RELOAD = { timeoutMs: 20_000, intervalMs: 200 };

describe('TLS on the public API', function () {
  let ca: TestCa;
  let first: PemPair;
  let volume: SecretVolumeDir;
  let cluster: LocalCluster;
  let router: DataplaneProcess;
  let base: string;
  let metricsBase: string;

  /** A request on a connection of its own, so it meets whatever certificate the router serves now. */
  const fresh = (path: string, init: { method?: string; body?: string } = {}) => httpsCall(`${base}${path}`, { ca: ca.cert, ...init });
  const metricOverHttps = async (name: string, labels = ''): Promise<number> => {
    const { text } = await fresh('/metrics');
    const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(labels));
    return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
  };

  before(async () => {
    ca = await makeTestCa();
    first = await issueCertificate(ca, '1001');
    volume = new SecretVolumeDir();
    volume.publish(first);
    cluster = await LocalCluster.start({ servers: 1 });
    const metricsPort = await freePort();
    router = await cluster.addClient({ TLS_CERT_FILE: volume.certFile, TLS_KEY_FILE: volume.keyFile, METRICS_PORT: String(metricsPort) });
    base = `https://127.0.0.1:${router.port}`;
    metricsBase = `https://127.0.0.1:${metricsPort}`;
    await waitFor(`the HTTPS router to be ready (log: ${router.logFile})`, async () => (await fresh('/readyz')).status === 200, { timeoutMs: 30_000, intervalMs: 100 });
  });
  after(async () => cluster?.stop());

  it('serves the API, the probes and /metrics over HTTPS, with the certificate the CA issued', async () => {
    const put = await fresh('/api/keys/secure', { method: 'PUT', body: 'over tls' });
    expect([put.status, put.serial]).to.deep.equal([204, '1001']);
    const read = await fresh('/api/get/secure');
    expect([read.status, read.text]).to.deep.equal([200, 'over tls']);
    for (const path of ['/healthz', '/readyz', '/metrics']) expect((await fresh(path)).status, path).to.equal(200);
    expect(await metricOverHttps('dcache_tls_certificate_expiry_timestamp_seconds')).to.be.greaterThan(Date.now() / 1000);
  });

  it('serves /metrics alone on METRICS_PORT, over HTTPS with the same certificate', async () => {
    const metrics = await httpsCall(`${metricsBase}/metrics`, { ca: ca.cert });
    expect([metrics.status, metrics.serial]).to.deep.equal([200, '1001']);
    expect(metrics.text).to.match(/^dcache_tls_certificate_expiry_timestamp_seconds\{/m);
    expect((await httpsCall(`${metricsBase}/api/get/secure`, { ca: ca.cert })).status).to.equal(404);
    const plain = await fetch(`http://127.0.0.1:${new URL(metricsBase).port}/metrics`).then(() => undefined, (e: Error) => e);
    expect(plain, 'plain HTTP on the metrics port must fail').to.be.instanceOf(Error);
  });

  it('is refused by a client that does not trust the CA', async () => {
    const error = await fetch(`${base}/healthz`).then(() => undefined, (e: Error & { cause?: { code?: string } }) => e);
    expect(error?.cause?.code).to.be.oneOf(['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY']);
  });

  it('answers nothing to plain HTTP on its port (the connection is closed), and keeps serving HTTPS', async () => {
    const error = await fetch(`http://127.0.0.1:${router.port}/healthz`).then(() => undefined, (e: Error) => e);
    expect(error, 'plain HTTP must fail').to.be.instanceOf(Error);
    expect(router.running).to.equal(true);
    expect((await fresh('/healthz')).status).to.equal(200);
  });

  it('serves a renewed certificate with no restart, and a kept-alive connection stays open through it', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1, ca: ca.cert });
    try {
      const before = await httpsCall(`${base}/api/get/secure`, { ca: ca.cert, agent });
      expect([before.status, before.serial]).to.deep.equal([200, '1001']);
      const pid = router.pid;

      volume.publish(await issueCertificate(ca, '1002'));
      await waitFor('a new connection to get certificate 1002', async () => (await fresh('/healthz')).serial === '1002', RELOAD);
      expect((await httpsCall(`${metricsBase}/metrics`, { ca: ca.cert })).serial, 'the metrics port').to.equal('1002');

      const after = await httpsCall(`${base}/api/get/secure`, { ca: ca.cert, agent });
      expect(after.status).to.equal(200);
      expect(after.reusedSocket, 'the same connection').to.equal(true);
      expect(after.localPort).to.equal(before.localPort);
      // An open connection keeps the certificate it was opened with.
      expect(after.serial).to.equal('1001');
      expect(router.pid).to.equal(pid);
      expect(router.running).to.equal(true);
      expect(await metricOverHttps('dcache_tls_reloads_total')).to.equal(1);
    } finally {
      agent.destroy();
    }
  });

  it('keeps the certificate it serves when the new key does not belong to the new certificate, logs it and counts it', async () => {
    const served = await fresh('/healthz');
    const stray = await issueCertificate(ca, '1003');
    // The new certificate with a key of its own, but the file holds another one.
    volume.publish({ cert: stray.cert, key: first.key });
    await waitFor('the refusal to be counted', async () => (await metricOverHttps('dcache_tls_reload_failures_total', 'reason="mismatch"')) === 1, RELOAD);
    expect((await fresh('/healthz')).serial).to.equal(served.serial);
    expect(router.logTail(50)).to.contain('cannot use the changed TLS files');

    volume.publish(stray);
    await waitFor('the matching pair to be served', async () => (await fresh('/healthz')).serial === '1003', RELOAD);
    expect(await metricOverHttps('dcache_tls_reload_failures_total', 'reason="mismatch"')).to.equal(1);
  });

  describe('bad TLS settings stop the router at start, with one line and exit code 2', () => {
    const runClient = (args: string[]) => {
      const result = spawnSync(process.execPath, [MAIN, 'client', '--insecure', ...args], { env: { PATH: process.env.PATH ?? '' }, encoding: 'utf8', timeout: 10_000 });
      return { status: result.status, lines: result.stderr.trim().split('\n') };
    };
    const cases: Array<[string, () => string[], RegExp]> = [
      ['a certificate without its key', () => ['--tls-cert', volume.certFile], /^distributed-cache client: invalid TLS_KEY_FILE: not set \(--tls-key\), but TLS_CERT_FILE \(--tls-cert\) is/],
      ['a missing file', () => ['--tls-cert', '/nonexistent/tls.crt', '--tls-key', volume.keyFile], /^distributed-cache client: invalid TLS_CERT_FILE: cannot read \/nonexistent\/tls.crt: ENOENT$/],
      ['a key that is not the certificate\'s', () => {
        const other = join(ca.dir, 'other.key');
        writeFileSync(other, first.key);
        return ['--tls-cert', volume.certFile, '--tls-key', other];
      }, /^distributed-cache client: invalid TLS_KEY_FILE: .*other\.key: the key does not belong to the certificate \(serial [0-9A-F]+\)$/],
      ['a key given as the certificate', () => ['--tls-cert', volume.keyFile, '--tls-key', volume.keyFile], /^distributed-cache client: invalid TLS_CERT_FILE: .*tls\.key: not a PEM certificate$/],
    ];
    for (const [what, args, line] of cases) {
      it(`for ${what}`, () => {
        const { status, lines } = runClient(args());
        expect(status).to.equal(2);
        expect(lines).to.have.length(1);
        expect(lines[0]).to.match(line);
      });
    }
  });
});
