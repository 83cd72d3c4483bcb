// kubectl as a user runs it, for the end-to-end suite: whatever cluster
// KUBECONFIG names (the node of hack/node.sh, or kind).
import { execFile, spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { waitFor } from '../../support/wait.js';

const run = promisify(execFile);

export async function kubectl(args: string[], stdin?: string): Promise<string> {
  const child = run('kubectl', args, { maxBuffer: 16 * 2 ** 20 });
  if (stdin !== undefined) child.child.stdin?.end(stdin);
  return (await child).stdout;
}

/** `kubectl apply --server-side` of one object. */
export const apply = (object: object): Promise<string> => kubectl(['apply', '--server-side', '-f', '-'], JSON.stringify(object));

/** The names of the pods a selector matches, without those already being deleted. */
export async function livePods(namespace: string, selector: string): Promise<string[]> {
  const out = await kubectl([
    '-n', namespace, 'get', 'pods', '-l', selector,
    '-o', 'jsonpath={range .items[*]}{.metadata.name} {.metadata.deletionTimestamp}{"\\n"}{end}',
  ]);
  return out.split('\n').map((line) => line.split(' ')).filter(([name, deleting]) => name !== '' && deleting === '').map(([name]) => name as string);
}

/** The pods a selector matches if there are exactly `count`, all Ready and none terminating; undefined otherwise. */
export async function readyPods(namespace: string, selector: string, count: number): Promise<string[] | undefined> {
  const out = await kubectl([
    '-n', namespace, 'get', 'pods', '-l', selector,
    '-o', 'jsonpath={range .items[*]}{.metadata.name} {.metadata.deletionTimestamp} {.status.conditions[?(@.type=="Ready")].status}{"\\n"}{end}',
  ]);
  const pods = out.split('\n').filter((line) => line !== '').map((line) => line.split(' '));
  // A terminating pod has a deletion timestamp in the middle field, so its line has three non-empty words.
  if (pods.length !== count || pods.some(([, deleting, ready]) => deleting !== '' || ready !== 'True')) return undefined;
  return pods.map(([name]) => name as string);
}

/** Waits until exactly `count` pods match and every one of them is Ready. */
export async function waitForReadyPods(namespace: string, selector: string, count: number, timeoutMs: number): Promise<string[]> {
  return waitFor(`${count} Ready pods matching ${selector}`, () => readyPods(namespace, selector, count), { timeoutMs, intervalMs: 1_000 });
}

/** Runs task(0..count-1), a few at a time. */
export async function inParallel(count: number, task: (i: number) => Promise<void>, width = 16): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < count) await task(next++);
    }),
  );
}

/**
 * `kubectl port-forward` to a local port of its choosing: the one way to
 * reach a Service that works from inside this node's namespace and from a
 * kind user's shell alike.
 */
export async function portForward(namespace: string, target: string, port: number): Promise<{ port: number; stop: () => void }> {
  const child = spawn('kubectl', ['-n', namespace, 'port-forward', target, `:${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  const local = await new Promise<number>((done, fail) => {
    let seen = '';
    const timer = setTimeout(() => fail(new Error(`kubectl port-forward ${target}: no port after 30 s: ${seen}`)), 30_000);
    const read = (chunk: Buffer) => {
      seen += chunk.toString();
      const match = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(seen);
      if (match !== null) {
        clearTimeout(timer);
        done(Number(match[1]));
      }
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    child.on('exit', (code) => fail(new Error(`kubectl port-forward ${target} exited (${code}): ${seen}`)));
  });
  return { port: local, stop: () => child.kill() };
}

/**
 * Saves every container log of a namespace's pods (and of their previous
 * containers) under `dir`, for a failed scenario to be read after the
 * namespace is gone. Best effort: a pod on a dead node has no log to give.
 */
export async function savePodLogs(namespace: string, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const pods = (await kubectl(['-n', namespace, 'get', 'pods', '-o', 'jsonpath={.items[*].metadata.name}'])).trim().split(/\s+/).filter((p) => p !== '');
  await Promise.all(pods.map(async (pod) => {
    for (const previous of [false, true]) {
      const log = await kubectl(['-n', namespace, 'logs', pod, '--all-containers', `--previous=${previous}`]).catch(() => '');
      if (log !== '') await writeFile(join(dir, `${pod}${previous ? '.previous' : ''}.log`), log);
    }
  }));
}
