// A slowloris against a router on loopback: hundreds of connections that
// each send one header line every few seconds and never finish their head,
// reopened as soon as the router closes them, while normal clients keep
// reading and writing. The clients must keep being served; the p99 during
// the attack is printed next to the quiet p99 (a measurement, not a target).
import { expect } from 'chai';
import { Agent, request } from 'node:http';
import type { Socket } from 'node:net';
import { CONNECTION_LIMITS } from '../../../dataplane/http/connection-guard.js';
import { LocalCluster } from '../../support/cluster.js';
import { openSocket } from '../../support/raw-http.js';

const ATTACK_CONNECTIONS = 300;
const HEADER_LINE_EVERY_MS = 2000;
const WARM_UP_MS = 6000;
const QUIET_MS = 4000;
const ATTACK_MS = 15_000;
/** Generous: a normal request that waits this long was starved. */
const SLOWEST_ALLOWED_MS = 2000;
/** Node looks for expired heads every checkIntervalMs; the rest is scheduling on two busy cores. */
const CLOSE_WITHIN_MS = CONNECTION_LIMITS.headersTimeoutMs + CONNECTION_LIMITS.checkIntervalMs + 2000;

interface Sample {
  latencies: number[];
  errors: string[];
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

/** One request; resolves with its status, never rejects (a failure is a status of 0). */
function timedRequest(port: number, agent: Agent | false, method: string, path: string, body?: string): Promise<{ status: number; ms: number }> {
  const started = performance.now();
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, method, path, agent, timeout: 10_000 }, (res) => {
      res.resume();
      res.once('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - started }));
    });
    req.once('timeout', () => req.destroy(new Error('timed out')));
    req.once('error', () => resolve({ status: 0, ms: performance.now() - started }));
    req.end(body);
  });
}

/**
 * Normal clients until `stop()`: some on keep-alive connections, some opening a new
 * connection per request (they need the router to accept while the attack holds sockets).
 */
function normalClients(port: number, workers: number): { stop: () => Promise<Sample> } {
  const sample: Sample = { latencies: [], errors: [] };
  let running = true;
  const keepAlive = new Agent({ keepAlive: true });
  const loops = Array.from({ length: workers }, async (_, worker) => {
    const agent = worker % 4 === 3 ? false : keepAlive;
    for (let i = 0; running; i++) {
      const key = `normal-${worker}-${Math.floor(i / 2) % 50}`;
      const write = i % 2 === 0;
      const { status, ms } = write
        ? await timedRequest(port, agent, 'PUT', `/api/keys/${key}`, `value ${i}`)
        : await timedRequest(port, agent, 'GET', `/api/keys/${key}`);
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

/** Slowloris connections until `stop()`; each is reopened when the router closes it. Records how long each lived. */
function slowloris(port: number, connections: number): { stop: () => Promise<number[]> } {
  const closedAfterMs: number[] = [];
  const open = new Set<Socket>();
  let running = true;
  const holdOne = async (slot: number): Promise<void> => {
    while (running) {
      const socket = await openSocket(port).catch(() => undefined);
      if (!socket) {
        await sleep(100);
        continue;
      }
      open.add(socket);
      const opened = performance.now();
      socket.on('error', () => undefined);
      socket.resume();
      const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      socket.write('GET /api/get/slow HTTP/1.1\r\nHost: router\r\n');
      // Staggered, so the lines do not all arrive in the same instant.
      await sleep((slot * HEADER_LINE_EVERY_MS) / connections);
      for (let line = 0; running && !socket.destroyed; line++) {
        socket.write(`X-Slow-${line}: ${'z'.repeat(16)}\r\n`);
        await Promise.race([sleep(HEADER_LINE_EVERY_MS), closed]);
      }
      if (running) closedAfterMs.push(performance.now() - opened);
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
      return closedAfterMs;
    },
  };
}

const summary = (sample: Sample): string =>
  `${sample.latencies.length} requests, p50 ${percentile(sample.latencies, 50).toFixed(1)} ms, p99 ${percentile(sample.latencies, 99).toFixed(1)} ms, max ${Math.max(...sample.latencies).toFixed(1)} ms`;

describe(`slow clients: a slowloris of ${ATTACK_CONNECTIONS} connections against a router`, function () {
  let cluster: LocalCluster;
  let quiet: Sample;
  let attacked: Sample;
  let closedAfterMs: number[];

  before(async function () {
    this.timeout(120_000);
    cluster = await LocalCluster.start({ servers: 3 });
    const port = cluster.client.port;

    // Unmeasured warm-up: the JIT, and the router's first seconds after a ring change, when reads ask every owner.
    const warmUp = normalClients(port, 8);
    await sleep(WARM_UP_MS);
    await warmUp.stop();
    let clients = normalClients(port, 8);
    await sleep(QUIET_MS);
    quiet = await clients.stop();

    clients = normalClients(port, 8);
    const attack = slowloris(port, ATTACK_CONNECTIONS);
    await sleep(ATTACK_MS);
    closedAfterMs = await attack.stop();
    attacked = await clients.stop();

    console.log(`      quiet:  ${summary(quiet)}`);
    console.log(`      attack: ${summary(attacked)}`);
    console.log(`      the router closed ${closedAfterMs.length} slow connections, after ${Math.min(...closedAfterMs).toFixed(0)}-${Math.max(...closedAfterMs).toFixed(0)} ms`);
  });
  after(async () => cluster?.stop());

  it('keeps serving normal clients, new connections included, without an error', () => {
    expect(quiet.errors, quiet.errors.slice(0, 5).join('\n')).to.be.empty;
    expect(attacked.errors, attacked.errors.slice(0, 5).join('\n')).to.be.empty;
    expect(attacked.latencies.length).to.be.above(100);
  });

  it(`answers every normal request within ${SLOWEST_ALLOWED_MS} ms during the attack`, () => {
    expect(Math.max(...attacked.latencies)).to.be.below(SLOWEST_ALLOWED_MS);
  });

  it(`closes every connection whose head is not complete within ${CONNECTION_LIMITS.headersTimeoutMs / 1000} s`, () => {
    expect(closedAfterMs.length, 'slow connections closed by the router').to.be.at.least(ATTACK_CONNECTIONS);
    expect(Math.max(...closedAfterMs)).to.be.below(CLOSE_WITHIN_MS);
    expect(Math.min(...closedAfterMs)).to.be.at.least(CONNECTION_LIMITS.headersTimeoutMs - 100);
  });
});
