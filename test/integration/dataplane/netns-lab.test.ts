// The network lab itself (test/support/lab/, README "Tests", "Network lab"):
// hosts in network namespaces of their own, a bridge between them, and
// faults that lose packets the way a broken network does. Real TCP between
// real processes: a cut hangs an established connection (no reset, no
// error) until healed, a drop loses one direction only, and destroy()
// leaves nothing behind. Then a data plane process started in a lab host is
// node itself, in that host's namespace, so signals reach it.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { readFileSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { DataplaneProcess } from '../../support/dataplane-process.js';
import { netnsNames, rootLinks } from '../../support/lab/leftovers.js';
import { NetnsLab, TEST } from '../../support/lab/lab.js';
import { inNetns } from '../../support/lab/run.js';
import { PeerAgent, type PeerEvent } from '../../support/lab/peer-agent.js';
import { skipWithoutLab } from '../../support/lab/prerequisites.js';
import { waitFor } from '../../support/wait.js';

const PORT = 7000;
/** Long enough for several TCP retransmissions (200 ms, 400 ms, 800 ms, ...): none may get through. */
const HANG_MS = 3000;
/** After a heal, the next retransmission (backed off to a few seconds) carries the data. */
const RECOVER_MS = 20_000;

const got = (data: string) => (e: PeerEvent): boolean => e.event === 'got' && e.data === data;
const echoed = (id: string, data: string) => (e: PeerEvent): boolean => e.event === 'data' && e.id === id && e.data === data;
const failed = (id: string) => (e: PeerEvent): boolean => e.id === id && (e.event === 'error' || e.event === 'close');

/** A connection from the test process (root namespace), with what it received. */
function connectFromTest(host: string): Promise<{ socket: Socket; received: () => string; errors: string[] }> {
  return new Promise((resolve, reject) => {
    let received = '';
    const errors: string[] = [];
    const socket = connect(PORT, host);
    socket.on('data', (chunk) => (received += chunk.toString()));
    socket.on('error', (error: NodeJS.ErrnoException) => errors.push(error.code ?? error.message));
    socket.once('connect', () => resolve({ socket, received: () => received, errors }));
    socket.once('error', reject);
  });
}

describe('network lab: hosts in namespaces, faults by iptables DROP', function () {
  this.timeout(120_000);
  let lab: NetnsLab | undefined;
  const agents: PeerAgent[] = [];

  before(function () {
    skipWithoutLab(this, 'the network lab test');
  });

  afterEach(async () => {
    await Promise.all(agents.splice(0).map((a) => a.stop()));
    await lab?.destroy();
    lab = undefined;
  });

  /**
   * Host a runs the echo server, host b a relay with one connection to it, `c1`, which has carried one echo.
   * Both hosts track connections from the start, as a host with any stateful firewall rule does: a fault
   * that matched only new flows would then let c1 through, and the cut test would fail.
   */
  async function twoHosts(): Promise<{ lab: NetnsLab; a: PeerAgent; b: PeerAgent }> {
    const l = (lab = await NetnsLab.create(['a', 'b']));
    for (const host of ['a', 'b']) await inNetns(l.netns(host), 'iptables', ['-w', '-A', 'INPUT', '-m', 'conntrack', '--ctstate', 'ESTABLISHED']);
    const a = new PeerAgent(l.netns('a'), ['echo', String(PORT)]);
    const b = new PeerAgent(l.netns('b'), ['relay']);
    agents.push(a, b);
    expect(await a.waitFor((e) => e.event === 'listening', 10_000), 'echo server listening').to.not.equal(undefined);
    b.command({ cmd: 'connect', id: 'c1', host: l.address('a'), port: PORT });
    expect(await b.waitFor((e) => e.event === 'connected', 10_000), 'b connected to a').to.deep.include({ local: l.address('b') });
    b.command({ cmd: 'send', id: 'c1', data: 'hello' });
    expect(await b.waitFor(echoed('c1', 'hello'), 5000), 'echo over the bridge').to.not.equal(undefined);
    return { lab: l, a, b };
  }

  it('cut(a, b): an established connection hangs, with no reset and no error, and flows again after heal', async () => {
    const { lab: l, a, b } = await twoHosts();
    await l.cut('a', 'b');
    const mark = b.events.length;
    const markA = a.events.length;
    b.command({ cmd: 'send', id: 'c1', data: 'during-cut' });
    b.command({ cmd: 'connect', id: 'c2', host: l.address('a'), port: PORT });
    expect(await b.waitFor(echoed('c1', 'during-cut'), HANG_MS, mark), 'no answer while cut').to.equal(undefined);
    expect(a.since(markA, got('during-cut')), 'nothing reached a').to.have.length(0);
    expect(b.since(mark, (e) => e.event !== 'data'), 'no reset, no error, no close, and a new connection neither opens nor is refused').to.deep.equal([]);
    // The cut is between a and b only: the test process still reaches a.
    const fromTest = await connectFromTest(l.address('a'));
    fromTest.socket.destroy();

    await l.heal();
    expect(await b.waitFor(echoed('c1', 'during-cut'), RECOVER_MS, mark), 'the held data arrives once healed').to.not.equal(undefined);
    expect(await b.waitFor((e) => e.event === 'connected' && e.id === 'c2', RECOVER_MS, mark), 'the new connection opens once healed').to.not.equal(undefined);
    expect(b.since(mark, failed('c1')), 'the first connection survived').to.deep.equal([]);
  });

  it('drop(from, to) loses one direction only, between hosts and towards the test process', async () => {
    const { lab: l, a, b } = await twoHosts();

    // b → a lost: a never receives, so nothing comes back.
    await l.drop('b', 'a');
    let mark = b.events.length;
    let markA = a.events.length;
    b.command({ cmd: 'send', id: 'c1', data: 'b-to-a' });
    expect(await a.waitFor(got('b-to-a'), HANG_MS, markA), 'b → a is dropped').to.equal(undefined);
    await l.heal();
    expect(await b.waitFor(echoed('c1', 'b-to-a'), RECOVER_MS, mark)).to.not.equal(undefined);

    // a → b lost: a receives (and answers), b never sees the answer.
    await l.drop('a', 'b');
    mark = b.events.length;
    markA = a.events.length;
    b.command({ cmd: 'send', id: 'c1', data: 'a-to-b' });
    expect(await a.waitFor(got('a-to-b'), 5000, markA), 'b → a still flows').to.not.equal(undefined);
    expect(await b.waitFor(echoed('c1', 'a-to-b'), HANG_MS, mark), 'a → b is dropped').to.equal(undefined);
    await l.heal();
    expect(await b.waitFor(echoed('c1', 'a-to-b'), RECOVER_MS, mark)).to.not.equal(undefined);

    // a → the test process (root namespace) lost: a drops it on the way out; the test's socket just waits.
    const fromTest = await connectFromTest(l.address('a'));
    await l.drop('a', TEST);
    markA = a.events.length;
    fromTest.socket.write('to-test');
    expect(await a.waitFor(got('to-test'), 5000, markA), 'the test still reaches a').to.not.equal(undefined);
    await new Promise((resolve) => setTimeout(resolve, HANG_MS));
    expect(fromTest.received(), 'a → test is dropped').to.equal('');
    expect(a.since(markA, (e) => e.event === 'error'), 'no error on a\'s side').to.deep.equal([]);
    await l.heal();
    await waitFor('the echo to reach the test once healed', () => fromTest.received() === 'to-test', { timeoutMs: RECOVER_MS });
    expect(fromTest.errors).to.deep.equal([]);
    fromTest.socket.destroy();
  });

  it('blackhole(host) cuts it from every endpoint, the test process included', async () => {
    const { lab: l, b } = await twoHosts();
    await l.blackhole('a');
    const mark = b.events.length;
    b.command({ cmd: 'send', id: 'c1', data: 'into-the-hole' });
    const fromTest = connect(PORT, l.address('a'));
    const outcome = await new Promise<string>((resolve) => {
      fromTest.once('connect', () => resolve('connected'));
      fromTest.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
      setTimeout(() => resolve('no answer'), HANG_MS);
    });
    fromTest.destroy();
    expect(outcome, 'a connection from the test neither opens nor is refused').to.equal('no answer');
    expect(await b.waitFor(echoed('c1', 'into-the-hole'), 500, mark)).to.equal(undefined);
    expect(l.faults.active).to.have.length(2 * 3);
    await l.heal();
    expect(await b.waitFor(echoed('c1', 'into-the-hole'), RECOVER_MS, mark)).to.not.equal(undefined);
  });

  it('destroy() removes every namespace and link, and ends what still ran in them', async () => {
    const { lab: l, a } = await twoHosts();
    const prefix = `dcl${l.n}-`;
    expect((await netnsNames()).filter((n) => n.startsWith(prefix)).sort()).to.deep.equal([`${prefix}a`, `${prefix}b`, `${prefix}hub`]);
    await l.destroy();
    expect((await netnsNames()).filter((n) => n.startsWith(prefix)), 'namespaces left').to.deep.equal([]);
    expect((await rootLinks()).filter((link) => link.ifname === `dcl${l.n}`), 'root link left').to.deep.equal([]);
    expect(() => process.kill(a.pid!, 0), 'the echo server was ended').to.throw();
  });

  it('a lab left by a run that crashed is removed by the next lab', async () => {
    const labModule = new URL('../../support/lab/lab.js', import.meta.url).href;
    const crashing = spawn(process.execPath, ['--input-type=module', '-e',
      `const { NetnsLab } = await import(${JSON.stringify(labModule)}); const lab = await NetnsLab.create(['x']); console.log(lab.n); setInterval(() => {}, 1000);`,
    ], { stdio: ['ignore', 'pipe', 'inherit'] });
    const [line] = await Promise.race([
      new Promise<string[]>((resolve) => createInterface({ input: crashing.stdout }).once('line', (l) => resolve([l]))),
      new Promise<string[]>((resolve) => setTimeout(() => resolve([]), 30_000)),
    ]);
    const exited = new Promise((resolve) => crashing.once('exit', resolve));
    crashing.kill('SIGKILL');
    await exited;
    const left = `dcl${Number(line)}-`;
    expect((await netnsNames()).filter((n) => n.startsWith(left)), 'the crashed run left its lab').to.have.length(2);
    lab = await NetnsLab.create(['a']);
    expect((await netnsNames()).filter((n) => n.startsWith(left)), 'namespaces of the crashed run').to.deep.equal([]);
    expect((await rootLinks()).filter((link) => link.ifname === `dcl${Number(line)}`), 'its root link').to.deep.equal([]);
  });

  it('a data plane process in a lab host is node itself, in the host\'s namespace: signals reach it', async () => {
    const l = (lab = await NetnsLab.create(['a']));
    // No ZooKeeper is needed to check the process itself; it keeps trying to reach this one.
    const router = await DataplaneProcess.start(
      { role: 'client', zkConnect: `${l.address(TEST)}:1`, cacheName: 'lab', site: { netns: l.netns('a'), address: l.address('a') } },
      { waitReady: false },
    );
    try {
      const pid = router.pid!;
      const node = realpathSync(process.execPath);
      // Until `ip netns exec` has entered the namespace and exec'ed node, the pid is ip's.
      await waitFor('the pid to be node', () => readlinkSync(`/proc/${pid}/exe`) === node, { timeoutMs: 10_000 });
      expect(readlinkSync(`/proc/${pid}/ns/net`)).to.equal(`net:[${statSync(`/run/netns/${l.netns('a')}`).ino}]`);
      expect(router.url).to.equal(`http://${l.address('a')}:${router.port}`);
      const state = (): string => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.charAt(0);
      router.pause();
      await waitFor('SIGSTOP to stop node', () => state() === 'T', { timeoutMs: 5000 });
      router.resume();
      await waitFor('SIGCONT to resume node', () => state() !== 'T', { timeoutMs: 5000 });
    } finally {
      await router.kill();
    }
    expect(router.running).to.equal(false);
  });
});
