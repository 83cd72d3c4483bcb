// A process whose stdout is a pipe nobody empties (a stuck log collector)
// still serves, and still stops on SIGTERM within its drain bound; its lines
// reach a reader that keeps up, the last ones included (docs/architecture.md,
// "Logs never block").
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { closeSync } from 'node:fs';
import { MAX_QUEUED_BYTES } from '../../../dataplane/observability/log-sink.js';
import { DataplaneProcess } from '../../support/dataplane-process.js';
import { StdoutPipe } from '../../support/stdout-pipe.js';
import { UnreachableMember } from '../../support/unreachable-member.js';
import { waitFor } from '../../support/wait.js';
import { ZooKeeperServer } from '../../support/zookeeper.js';

/** A router waits this long for in-flight requests on SIGTERM (router-process.ts). */
const ROUTER_DRAIN_MS = 10_000;
/** A pipe's capacity on Linux. */
const PIPE_BYTES = 64 * 1024;
/**
 * Writes sent to the unreachable member: each logs a line of about 580
 * bytes, so that together they fill the pipe and the sink's backlog more
 * than twice over (counting 500 bytes each).
 */
const WRITES = Math.ceil((2 * (PIPE_BYTES + MAX_QUEUED_BYTES)) / 500);

describe('logs to a pipe', function () {
  let zookeeper: ZooKeeperServer;
  let member: UnreachableMember;
  let cacheName: string;
  let pipe: StdoutPipe;
  let router: DataplaneProcess | undefined;

  before(async () => {
    zookeeper = await ZooKeeperServer.start();
    cacheName = `it-${randomBytes(4).toString('hex')}`;
    member = await UnreachableMember.register(zookeeper.connectString, cacheName);
  });
  after(async () => {
    member?.close();
    await zookeeper?.destroy();
  });
  beforeEach(() => {
    pipe = StdoutPipe.create();
  });
  afterEach(async () => {
    await router?.kill();
    router = undefined;
    pipe.dispose();
  });

  async function startRouter(): Promise<DataplaneProcess> {
    const writer = pipe.openWriter();
    try {
      // At debug, every failed write logs (at info and above only the first, when the owner turns suspect).
      router = await DataplaneProcess.start({ role: 'client', zkConnect: zookeeper.connectString, cacheName, stdout: writer, env: { LOG_LEVEL: 'debug' } });
    } finally {
      closeSync(writer);
    }
    return router;
  }

  /**
   * Sends writes to the unreachable member, a few at a time; each fails and
   * logs. Returns how many were answered before one went unanswered for 2 s
   * (a process stuck writing a log line answers nothing).
   */
  async function logWarnings(target: DataplaneProcess, writes = WRITES): Promise<number> {
    let answered = 0;
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < writes) {
        const key = `k${next++}`;
        const answer = await fetch(`${target.url}/api/post?key=${key}&value=v`, { method: 'POST', signal: AbortSignal.timeout(2000) }).catch(() => undefined);
        if (answer === undefined) return;
        await answer.arrayBuffer();
        answered++;
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
    return answered;
  }

  async function droppedLines(target: DataplaneProcess): Promise<number> {
    const text = await (await fetch(`${target.url}/metrics`, { signal: AbortSignal.timeout(2000) })).text();
    const sample = text.split('\n').find((line) => line.startsWith('dcache_log_lines_dropped_total'));
    return Number(sample?.split(' ').pop());
  }

  async function stopTimed(target: DataplaneProcess): Promise<{ code: number | null; ms: number }> {
    const started = Date.now();
    // Past twice the bound it is killed, so a hang fails the test instead of stalling it.
    const code = await target.stop('SIGTERM', 2 * ROUTER_DRAIN_MS);
    const ms = Date.now() - started;
    console.log(`      exited with ${code} ${ms} ms after SIGTERM`);
    return { code, ms };
  }

  it('stops within its drain bound on SIGTERM while its stdout reader never reads', async () => {
    const target = await startRouter();
    expect(await logWarnings(target), 'writes answered').to.equal(WRITES);
    // The backlog is bounded: past it, lines are dropped and counted.
    const dropped = await droppedLines(target);
    console.log(`      ${dropped} of ${WRITES} warnings dropped`);
    expect(dropped).to.be.above(0);
    const { code, ms } = await stopTimed(target);
    expect(code, `exit code (after ${ms} ms)`).to.equal(0);
    expect(ms).to.be.below(ROUTER_DRAIN_MS);
  });

  it('stops within its drain bound on SIGTERM after its stdout reader has closed', async () => {
    const target = await startRouter();
    pipe.closeReader();
    expect(await logWarnings(target), 'writes answered').to.equal(WRITES);
    const { code, ms } = await stopTimed(target);
    expect(code, `exit code (after ${ms} ms)`).to.equal(0);
    expect(ms).to.be.below(ROUTER_DRAIN_MS);
  });

  it('writes every line to a reader that lags behind, the last ones on SIGTERM included', async () => {
    pipe.consume();
    pipe.pause();
    const target = await startRouter();
    // About 200 KiB: more than the pipe holds, well within the sink's backlog.
    const writes = 400;
    expect(await logWarnings(target, writes), 'writes answered').to.equal(writes);
    const stopped = stopTimed(target);
    // The reader catches up only once shutdown is under way, so the last lines wait in the backlog.
    await waitFor('the router to stop listening', () => fetch(`${target.url}/healthz`).then(() => false, () => true));
    pipe.resume();
    expect((await stopped).code).to.equal(0);
    const lines = await waitFor('the router\'s last line', () => {
      const all = pipe.received.trim().split('\n').map((line) => JSON.parse(line) as { msg: string });
      return all.at(-1)?.msg === 'client stopped' ? all : undefined;
    }, { timeoutMs: 5000 });
    expect(lines.filter((line) => line.msg.startsWith('owner unreachable for a write it decides'))).to.have.length(writes);
    expect(lines.at(-2)?.msg).to.equal('stopping');
  });
});
