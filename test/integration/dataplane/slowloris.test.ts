// A slowloris of more connections than a process may hold, against a router,
// a server's public port and a router with TLS, while normal clients keep
// reading and writing. The attackers behave like a real tool: each sends a
// request line, then one header line every 2 s, never reads what it is sent
// and never closes; when its connection dies (it learns so at its next write)
// it opens another. The normal clients must keep being served, and the
// process's file descriptors must stay bounded during the attack and fall
// back once it ends. Bounds: docs/architecture.md "The connection guard".
import { expect } from 'chai';
import { readdirSync } from 'node:fs';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { connect as tcpConnect } from 'node:net';
import type { Duplex } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect as tlsConnect } from 'node:tls';
import { CONNECTION_LIMITS } from '../../../dataplane/http/connection-guard.js';
import { LocalCluster } from '../../support/cluster.js';
import type { DataplaneProcess } from '../../support/dataplane-process.js';
import { issueCertificate, makeTestCa, SecretVolumeDir, type TestCa } from '../../support/tls-files.js';
import { waitFor } from '../../support/wait.js';

const ATTACK_CONNECTIONS = 1100;
const HEADER_LINE_EVERY_MS = 2000;
const WARM_UP_MS = 4000;
const QUIET_MS = 4000;
/** The attack holds the process full for this long before normal clients are measured. */
const FILL_MS = 4000;
/** Two head timeouts: every attacker of the first wave is closed at least once. */
const ATTACK_MS = 2 * CONNECTION_LIMITS.headersTimeoutMs;
const NORMAL_WORKERS = 8;
const { headersTimeoutMs, checkIntervalMs, closeGraceMs, maxConnections } = CONNECTION_LIMITS;
/** What the issue of this attack promised at least: a normal request is served within the head timeout and the grace. */
const P99_BOUND_MS = headersTimeoutMs + closeGraceMs;
/** An attacker's connection dies by the head timeout and the grace at the latest; it learns so at its next line. */
const ATTACKER_CLOSED_WITHIN_MS = headersTimeoutMs + checkIntervalMs + closeGraceMs + HEADER_LINE_EVERY_MS + 2000;
/** "Within a few": the process's own descriptors (ZooKeeper, peers, pools) come and go. */
const FD_SLACK = 8;
const FDS_SETTLE_WITHIN_MS = 15_000;

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

/** Math.min/max over arrays too long to spread as arguments (an attack closes 100k+ connections). */
const least = (values: readonly number[]): number => values.reduce((a, b) => Math.min(a, b), Number.POSITIVE_INFINITY);
const most = (values: readonly number[]): number => values.reduce((a, b) => Math.max(a, b), Number.NEGATIVE_INFINITY);

const openFds = (pid: number): number => readdirSync(`/proc/${pid}/fd`).length;

/** How to reach one attacked port, in plain HTTP or in TLS. */
interface Target {
  port: number;
  /** The attacked process. */
  pid: number;
  tls?: { ca: Buffer };
}

interface Sample {
  latencies: number[];
  errors: string[];
}

/** One request; resolves with its status, never rejects (a failure is a status of 0). */
function timedRequest(target: Target, agent: HttpAgent | false, method: string, path: string, body?: string): Promise<{ status: number; ms: number }> {
  const started = performance.now();
  const options: RequestOptions = { host: '127.0.0.1', port: target.port, method, path, agent, timeout: 30_000 };
  return new Promise((resolve) => {
    const onAnswer = (res: IncomingMessage): void => {
      res.resume();
      res.once('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - started }));
    };
    const req = target.tls ? httpsRequest({ ...options, ca: target.tls.ca }, onAnswer) : httpRequest(options, onAnswer);
    req.once('timeout', () => req.destroy(new Error('timed out')));
    req.once('error', () => resolve({ status: 0, ms: performance.now() - started }));
    req.end(body);
  });
}

/**
 * Normal clients until `stop()`: some on keep-alive connections, some opening a new
 * connection per request (they need the process to accept while the attack holds sockets).
 */
function normalClients(target: Target, workers: number): { stop: () => Promise<Sample> } {
  const sample: Sample = { latencies: [], errors: [] };
  let running = true;
  const keepAlive = target.tls ? new HttpsAgent({ keepAlive: true, ca: target.tls.ca }) : new HttpAgent({ keepAlive: true });
  const loops = Array.from({ length: workers }, async (_, worker) => {
    const agent = worker % 4 === 3 ? false : keepAlive;
    for (let i = 0; running; i++) {
      const key = `normal-${worker}-${Math.floor(i / 2) % 50}`;
      const write = i % 2 === 0;
      const { status, ms } = write
        ? await timedRequest(target, agent, 'PUT', `/api/keys/${key}`, `value ${i}`)
        : await timedRequest(target, agent, 'GET', `/api/keys/${key}`);
      sample.latencies.push(ms);
      if (status !== (write ? 204 : 200)) sample.errors.push(`${write ? 'PUT' : 'GET'} ${key}: ${status || 'no answer'}`);
    }
  });
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
      keepAlive.destroy();
      return sample;
    },
  };
}

/** A connection as an attacker opens it: TCP, or a completed TLS handshake. */
function openAttackerConnection(target: Target): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const socket = target.tls
      ? tlsConnect({ host: '127.0.0.1', port: target.port, ca: target.tls.ca }, () => resolve(socket))
      : tcpConnect(target.port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Non-reading slowloris connections until `stop()`; each is reopened when it dies. Records how long each lived. */
function slowloris(target: Target, connections: number): { stop: () => Promise<number[]> } {
  const livedMs: number[] = [];
  const open = new Set<Duplex>();
  let running = true;
  const holdOne = async (slot: number): Promise<void> => {
    while (running) {
      const socket = await openAttackerConnection(target).catch(() => undefined);
      if (!socket) {
        await sleep(100);
        continue;
      }
      open.add(socket);
      const opened = performance.now();
      // Never reads: no 'data' listener, paused. It learns of a closed connection when a write fails.
      socket.pause();
      socket.on('error', () => undefined);
      const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      socket.write('GET /api/get/slow HTTP/1.1\r\nHost: cache\r\n');
      // Staggered, so the lines do not all arrive in the same instant.
      await Promise.race([sleep((slot * HEADER_LINE_EVERY_MS) / connections), closed]);
      for (let line = 0; running && !socket.destroyed; line++) {
        socket.write(`X-Slow-${line}: ${'z'.repeat(16)}\r\n`);
        await Promise.race([sleep(HEADER_LINE_EVERY_MS), closed]);
      }
      if (running) livedMs.push(performance.now() - opened);
      open.delete(socket);
      socket.destroy();
    }
  };
  const slots = Array.from({ length: connections }, (_, slot) => holdOne(slot));
  return {
    async stop() {
      running = false;
      for (const socket of open) socket.destroy();
      await Promise.all(slots);
      return livedMs;
    },
  };
}

interface AttackReport {
  quiet: Sample;
  attacked: Sample;
  attackerLivedMs: number[];
  fds: { before: number; peak: number; after: number; settledInMs: number };
}

/** Warm-up, a quiet measurement, then the attack with normal clients beside it, and the descriptors throughout. */
async function runAttack(target: Target): Promise<AttackReport> {
  // Unmeasured warm-up: the JIT, and a router's first seconds after a ring change, when reads ask every owner.
  await runFor(normalClients(target, NORMAL_WORKERS), WARM_UP_MS);
  const quiet = await runFor(normalClients(target, NORMAL_WORKERS), QUIET_MS);
  await sleep(500);
  const before = openFds(target.pid);

  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, openFds(target.pid))), 250);
  const attack = slowloris(target, ATTACK_CONNECTIONS);
  await sleep(FILL_MS);
  const attacked = await runFor(normalClients(target, NORMAL_WORKERS), ATTACK_MS);
  const attackerLivedMs = await attack.stop();
  clearInterval(sampler);
  peak = Math.max(peak, openFds(target.pid));

  const ended = performance.now();
  const after = await waitFor(`the descriptors of pid ${target.pid} to fall back to ${before} + ${FD_SLACK}`, () => {
    const count = openFds(target.pid);
    return count <= before + FD_SLACK ? count : undefined;
  }, { timeoutMs: FDS_SETTLE_WITHIN_MS + 5000, intervalMs: 100 });
  return { quiet, attacked, attackerLivedMs, fds: { before, peak, after, settledInMs: performance.now() - ended } };
}

async function runFor(clients: { stop: () => Promise<Sample> }, ms: number): Promise<Sample> {
  await sleep(ms);
  return clients.stop();
}

const summary = (sample: Sample): string => {
  const served = sample.latencies.length - sample.errors.length;
  return `${sample.latencies.length} requests, ${((100 * served) / sample.latencies.length).toFixed(2)} % served, `
    + `p50 ${percentile(sample.latencies, 50).toFixed(1)} ms, p99 ${percentile(sample.latencies, 99).toFixed(1)} ms, max ${most(sample.latencies).toFixed(1)} ms`;
};

/** The same specification for every attacked port. */
function itWithstands(describeTitle: string, setUp: () => Promise<{ target: Target; stop: () => Promise<void> }>): void {
  describe(`slow clients: ${ATTACK_CONNECTIONS} non-reading slowloris connections against ${describeTitle}`, function () {
    let report: AttackReport;
    let stop: (() => Promise<void>) | undefined;

    before(async function () {
      this.timeout(180_000);
      const started = await setUp();
      stop = started.stop;
      report = await runAttack(started.target);
      console.log(`      quiet:  ${summary(report.quiet)}`);
      console.log(`      attack: ${summary(report.attacked)}`);
      const lived = report.attackerLivedMs;
      console.log(`      attackers' connections: ${lived.length} closed, after ${least(lived).toFixed(0)}-${most(lived).toFixed(0)} ms`);
      console.log(`      file descriptors: ${report.fds.before} before, ${report.fds.peak} at most during, ${report.fds.after} ${(report.fds.settledInMs / 1000).toFixed(1)} s after`);
    });
    after(async () => stop?.());

    it('serves normal clients, new connections included: at least 99 % of requests, p99 within the head timeout and the grace', () => {
      expect(report.quiet.errors, report.quiet.errors.slice(0, 5).join('\n')).to.be.empty;
      const { latencies, errors } = report.attacked;
      expect(latencies.length).to.be.above(100);
      expect((latencies.length - errors.length) / latencies.length, errors.slice(0, 5).join('\n')).to.be.at.least(0.99);
      expect(percentile(latencies, 99)).to.be.below(P99_BOUND_MS);
    });

    it('was full: the attack held the process at its connection cap', () => {
      expect(report.fds.peak - report.fds.before).to.be.at.least(maxConnections - FD_SLACK);
    });

    it(`holds no more than ${maxConnections} connections, whatever the attackers do`, () => {
      expect(report.fds.peak - report.fds.before).to.be.at.most(maxConnections + FD_SLACK);
    });

    it('closes every attacker\'s connection by the head timeout and the grace, though it never reads its 408', () => {
      expect(report.attackerLivedMs.length, 'attackers\' connections closed').to.be.at.least(ATTACK_CONNECTIONS);
      expect(most(report.attackerLivedMs)).to.be.below(ATTACKER_CLOSED_WITHIN_MS);
    });

    it(`gives back its file descriptors within ${FDS_SETTLE_WITHIN_MS / 1000} s of the attack's end`, () => {
      expect(report.fds.after).to.be.at.most(report.fds.before + FD_SLACK);
      expect(report.fds.settledInMs).to.be.below(FDS_SETTLE_WITHIN_MS);
    });
  });
}

itWithstands('a router', async () => {
  const cluster = await LocalCluster.start({ servers: 3 });
  const router = cluster.client;
  return { target: { port: router.port, pid: router.pid as number }, stop: () => cluster.stop() };
});

itWithstands('a server\'s public port', async () => {
  const cluster = await LocalCluster.start({ servers: 1 });
  const server = cluster.servers[0] as DataplaneProcess;
  return { target: { port: server.port, pid: server.pid as number }, stop: () => cluster.stop() };
});

itWithstands('a router\'s TLS listener', async () => {
  const ca: TestCa = await makeTestCa();
  const volume = new SecretVolumeDir();
  volume.publish(await issueCertificate(ca, '2001'));
  const cluster = await LocalCluster.start({ servers: 3 });
  const router = await cluster.addClient({ TLS_CERT_FILE: volume.certFile, TLS_KEY_FILE: volume.keyFile });
  const target: Target = { port: router.port, pid: router.pid as number, tls: { ca: ca.cert } };
  await waitFor(`the HTTPS router to be ready (log: ${router.logFile})`, async () => (await timedRequest(target, false, 'GET', '/readyz')).status === 200, { timeoutMs: 30_000, intervalMs: 100 });
  return { target, stop: () => cluster.stop() };
});
