// Labs left behind by a run that crashed before destroy(): found by name
// (names.ts), removed only when the process that made them is gone, so a lab
// of a test running at the same time is never touched.
import { run, tryRun } from './run.js';
import { OWNER_ALIAS_PREFIX, labNumberOf, netnsPrefix, rootLink } from './names.js';

interface LinkInfo {
  ifname: string;
  ifalias?: string;
}

export async function rootLinks(): Promise<LinkInfo[]> {
  return JSON.parse(await run('ip', ['-j', 'link', 'show'])) as LinkInfo[];
}

export async function netnsNames(): Promise<string[]> {
  const listed = (await run('ip', ['-j', 'netns', 'list'])).trim();
  return listed ? (JSON.parse(listed) as Array<{ name: string }>).map((n) => n.name) : [];
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pid recorded on a lab's root link, or undefined while the link has no alias yet (being made). */
function ownerOf(link: LinkInfo): number | undefined {
  if (!link.ifalias?.startsWith(OWNER_ALIAS_PREFIX)) return undefined;
  const pid = Number(link.ifalias.slice(OWNER_ALIAS_PREFIX.length));
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/**
 * Removes lab n: kills what still runs in its namespaces (processes a test
 * started there), deletes the namespaces (the hub's bridge and every veth go
 * with them), then the root link.
 */
export async function removeLab(n: number, namespaces?: readonly string[]): Promise<void> {
  const ours = (namespaces ?? (await netnsNames())).filter((name) => name.startsWith(netnsPrefix(n)));
  for (const netns of ours) {
    const pids = (await run('ip', ['netns', 'pids', netns]).catch(() => '')).split(/\s+/).filter(Boolean).map(Number);
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await tryRun('ip', ['netns', 'del', netns]);
  }
  await tryRun('ip', ['link', 'del', rootLink(n)]);
}

/** Removes every lab whose owner died, and namespaces of ours with no root link (a destroy cut short). */
export async function removeLeftoverLabs(): Promise<number[]> {
  const links = await rootLinks();
  const namespaces = await netnsNames();
  const withLink = new Set<number>();
  const dead = new Set<number>();
  for (const link of links) {
    const n = link.ifname === rootLink(labNumberOf(link.ifname) ?? -1) ? labNumberOf(link.ifname) : undefined;
    if (n === undefined) continue;
    withLink.add(n);
    const owner = ownerOf(link);
    if (owner !== undefined && !alive(owner)) dead.add(n);
  }
  for (const name of namespaces) {
    const n = labNumberOf(name);
    if (n !== undefined && !withLink.has(n) && name.startsWith(netnsPrefix(n))) dead.add(n);
  }
  for (const n of dead) await removeLab(n, namespaces);
  return [...dead];
}
