// Memory per stored entry: a server's RSS growth for N entries, next to a
// plain Map holding the same entries in a bare Node process.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /VmRSS:\s+(\d+) kB/.exec(status);
  if (!kb) throw new Error(`no VmRSS for ${pid}`);
  return Number(kb[1]) * 1024;
}

export const entryKey = (i: number): string => `k${String(i).padStart(15, '0')}`; // 16 bytes
export const entryValue = (i: number, bytes: number): string => String(i).padStart(bytes, 'v');

/** RSS growth per entry of a bare Node process filling a Map (GC'd before each reading). */
export function mapBytesPerEntry(entries: number, valueBytes: number): number {
  const script = `
    const rss = () => { global.gc(); global.gc(); return process.memoryUsage().rss; };
    const before = rss();
    const map = new Map();
    for (let i = 0; i < ${entries}; i++) map.set('k' + String(i).padStart(15, '0'), String(i).padStart(${valueBytes}, 'v'));
    const after = rss();
    process.stdout.write(String((after - before) / map.size));`;
  return Number(execFileSync(process.execPath, ['--expose-gc', '-e', script], { encoding: 'utf8' }));
}
