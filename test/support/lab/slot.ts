// Claims a lab number whose subnet nothing on the machine uses. Creating the
// root link is the claim: `ip link add` fails if the name exists, so two labs
// started at once never share a number.
import { CommandError, run } from './run.js';
import { OWNER_ALIAS_PREFIX, labNumberOf, netnsPrefix, rootLink, subnetOf } from './names.js';
import { netnsNames, rootLinks } from './leftovers.js';

function toInt(ip: string): number {
  return ip.split('.').reduce((sum, part) => sum * 256 + Number(part), 0);
}

/** Whether two IPv4 prefixes share any address: the shorter one contains the other's network. */
export function overlaps(a: string, b: string): boolean {
  const [ipA = '', lenA = '32'] = a.split('/');
  const [ipB = '', lenB = '32'] = b.split('/');
  const bits = Math.min(Number(lenA), Number(lenB));
  if (bits === 0) return true;
  const shift = 32 - bits;
  return Math.floor(toInt(ipA) / 2 ** shift) === Math.floor(toInt(ipB) / 2 ** shift);
}

/** Every IPv4 prefix the root namespace routes or holds an address in (the default route aside). */
async function prefixesInUse(): Promise<string[]> {
  const routes = JSON.parse(await run('ip', ['-j', '-4', 'route', 'show', 'table', 'all'])) as Array<{ dst: string }>;
  const links = JSON.parse(await run('ip', ['-j', '-4', 'addr', 'show'])) as Array<{ addr_info?: Array<{ local: string; prefixlen: number }> }>;
  return [
    ...routes.map((r) => r.dst).filter((dst) => dst !== 'default'),
    ...links.flatMap((l) => (l.addr_info ?? []).map((a) => `${a.local}/${a.prefixlen}`)),
  ];
}

/**
 * Claims a free number: no link or namespace of that number, no route or
 * address in its subnet. Makes the root link's veth pair (its peer, `dcl<n>p`,
 * moves into the lab's hub later) and records this process as its owner.
 */
export async function claimLabNumber(): Promise<number> {
  const inUse = await prefixesInUse();
  const taken = new Set<number>();
  for (const link of await rootLinks()) taken.add(labNumberOf(link.ifname) ?? 0);
  for (const name of await netnsNames()) taken.add(labNumberOf(name) ?? 0);
  // Start at a number of this process's own, so labs of tests run in parallel seldom race for one.
  const start = process.pid % 254;
  for (let i = 0; i < 254; i++) {
    const n = ((start + i) % 254) + 1;
    if (taken.has(n) || inUse.some((prefix) => overlaps(prefix, subnetOf(n)))) continue;
    if ((await netnsNames()).some((name) => name.startsWith(netnsPrefix(n)))) continue;
    try {
      await run('ip', ['link', 'add', rootLink(n), 'type', 'veth', 'peer', 'name', `${rootLink(n)}p`]);
    } catch (error) {
      if (error instanceof CommandError && /exists/i.test(error.stderr)) continue;
      throw error;
    }
    await run('ip', ['link', 'set', rootLink(n), 'alias', `${OWNER_ALIAS_PREFIX}${process.pid}`]);
    return n;
  }
  throw new Error('no free lab subnet in 10.213.1.0/24 … 10.213.254.0/24: remove old labs (`ip link show | grep dcl`)');
}
