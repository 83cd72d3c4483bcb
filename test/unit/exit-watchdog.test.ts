// The exit watchdog (dataplane/exit-watchdog.ts), in real child processes: it
// kills one whose main thread is stuck for good, and holds up none that ends.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const WATCHDOG = fileURLToPath(new URL('../../dataplane/exit-watchdog.js', import.meta.url));

/** Runs `body` after arming the watchdog for `afterMs`; a child still there after 5 s gets SIGTERM. */
function runArmed(afterMs: number, body: string): { status: number | null; signal: NodeJS.Signals | null; ms: number } {
  const script = `import { armExitWatchdog } from ${JSON.stringify(WATCHDOG)}; armExitWatchdog(${afterMs}, (e) => { console.error(e); process.exit(3); }); ${body}`;
  const started = Date.now();
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { timeout: 5000, killSignal: 'SIGTERM' });
  return { status: result.status, signal: result.signal, ms: Date.now() - started };
}

describe('exit watchdog', () => {
  it('kills a process whose main thread never runs again (no timer of its own could fire)', () => {
    // Atomics.wait blocks the main thread as a write to a full blocking pipe does.
    const { signal, ms } = runArmed(200, 'Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);');
    expect(signal).to.equal('SIGKILL');
    expect(ms).to.be.below(4000);
  });

  it('does not keep a process alive that has finished', () => {
    const { status, signal, ms } = runArmed(60_000, '');
    expect(signal).to.equal(null);
    expect(status).to.equal(0);
    expect(ms).to.be.below(4000);
  });
});
