// A real ZooKeeper for tests: Debian's `zookeeper` package, started as a JVM
// on a free port with a temporary data directory, on loopback unless told
// another address (a network lab's, test/support/lab/lab.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';
import { waitFor } from './wait.js';

/** Installed by `make test` (apt-get install zookeeper); its manifest names the other jars. */
export const ZOOKEEPER_JAR = '/usr/share/java/zookeeper.jar';
/** Short ticks let tests use short session timeouts (the minimum is 2 ticks). */
export const TICK_MS = 250;

function ruok(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, host);
    let answer = '';
    socket.setTimeout(1000);
    socket.on('connect', () => socket.write('ruok'));
    socket.on('data', (chunk) => (answer += chunk.toString()));
    socket.on('close', () => resolve(answer === 'imok'));
    socket.on('error', () => resolve(false));
    socket.on('timeout', () => socket.destroy());
  });
}

export class ZooKeeperServer {
  private process: ChildProcess | undefined;

  private constructor(readonly port: number, readonly dir: string, readonly host: string) {}

  /**
   * An ensemble of `size` members on loopback, each a JVM of its own. Short
   * ticks make a lost leader re-elected within a second or two.
   */
  static async startEnsemble(size: number): Promise<ZooKeeperServer[]> {
    const ports = await Promise.all(Array.from({ length: size }, async () => ({ quorum: await freePort(), election: await freePort() })));
    const peers = ports.map((p, i) => `server.${i + 1}=127.0.0.1:${p.quorum}:${p.election}`);
    // Started together: none serves before a quorum is up.
    const started = await Promise.allSettled(ports.map((_, i) => ZooKeeperServer.start({ id: i + 1, peers })));
    const members = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      await Promise.all(members.map((m) => m.destroy()));
      throw failed.reason;
    }
    return members;
  }

  get connectString(): string {
    return `${this.host}:${this.port}`;
  }

  /**
   * One ZooKeeper on its own, or (`member`) one member of an ensemble.
   * `host`: the address it listens on (default loopback); the port is free on loopback,
   * and nothing else on the machine listens on a lab's address.
   */
  static async start(member?: { id: number; peers: string[] }, { host = '127.0.0.1' }: { host?: string } = {}): Promise<ZooKeeperServer> {
    if (!existsSync(ZOOKEEPER_JAR)) {
      throw new Error(`ZooKeeper is not installed (${ZOOKEEPER_JAR} is missing): run \`make test\`, which installs Debian's zookeeper package`);
    }
    const dir = mkdtempSync(join(tmpdir(), 'dcache-zk-'));
    const server = new ZooKeeperServer(await freePort(), dir, host);
    mkdirSync(join(dir, 'data'));
    writeFileSync(join(dir, 'zoo.cfg'), [
      `tickTime=${TICK_MS}`,
      `dataDir=${join(dir, 'data')}`,
      `clientPort=${server.port}`,
      `clientPortAddress=${host}`,
      'admin.enableServer=false',
      '4lw.commands.whitelist=ruok,srvr',
      'maxClientCnxns=0',
      'minSessionTimeout=500',
      ...(member ? ['initLimit=20', 'syncLimit=4', ...member.peers] : []),
    ].join('\n'));
    if (member) writeFileSync(join(dir, 'data', 'myid'), `${member.id}\n`);
    await server.startProcess();
    return server;
  }

  private async startProcess(): Promise<void> {
    const log = openSync(join(this.dir, 'zookeeper.log'), 'a');
    this.process = spawn(
      'java',
      ['-Xmx256m', '-XX:+UseSerialGC', '-cp', ZOOKEEPER_JAR, 'org.apache.zookeeper.server.quorum.QuorumPeerMain', join(this.dir, 'zoo.cfg')],
      { stdio: ['ignore', log, log] },
    );
    const child = this.process;
    await waitFor(`ZooKeeper on port ${this.port}`, async () => {
      if (child.exitCode !== null) throw new Error(`ZooKeeper exited with ${child.exitCode}; see ${this.dir}/zookeeper.log`);
      return ruok(this.host, this.port);
    }, { timeoutMs: 30_000, intervalMs: 100 });
  }

  /** Stops the JVM; the data directory (and so every session) survives for restart(). */
  async stop(): Promise<void> {
    const child = this.process;
    this.process = undefined;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  /** Freezes the JVM: clients lose it without a closed connection, and sessions age meanwhile. */
  pause(): void {
    this.process?.kill('SIGSTOP');
  }

  resume(): void {
    this.process?.kill('SIGCONT');
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.startProcess();
  }

  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
