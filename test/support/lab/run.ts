// Runs the network commands (ip, iptables) a lab is built with, in the root
// namespace or inside one of the lab's, and fails with what the command said.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export class CommandError extends Error {
  constructor(readonly command: string, readonly stderr: string) {
    super(`${command}: ${stderr.trim() || 'failed'}`);
    this.name = 'CommandError';
  }
}

/** Runs `command args...`; resolves its stdout. Async, so a fault switched under traffic never blocks the test's event loop. */
export async function run(command: string, args: readonly string[]): Promise<string> {
  try {
    const { stdout } = await execFileAsync(command, args, { encoding: 'utf8', maxBuffer: 16 << 20 });
    return stdout;
  } catch (error) {
    const failure = error as { stderr?: string; message: string };
    throw new CommandError(`${command} ${args.join(' ')}`, failure.stderr ?? failure.message);
  }
}

/** The same, inside the named network namespace. */
export function inNetns(netns: string, command: string, args: readonly string[]): Promise<string> {
  return run('ip', ['netns', 'exec', netns, command, ...args]);
}

/** Runs it and ignores a failure: for removing what may already be gone. */
export async function tryRun(command: string, args: readonly string[]): Promise<void> {
  await run(command, args).catch(() => undefined);
}
