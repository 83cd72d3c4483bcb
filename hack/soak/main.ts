// `npm run soak`: a long run on loopback (ZooKeeper, 4 servers, 2 routers from
// test/support/cluster.ts) with mixed reads and writes through both routers
// and a membership change every 30 s. Prints errors, misses, stale reads and
// RSS growth per process, and writes the same as JSON. Not part of `make test`.
//
//   npm run soak [-- --minutes N] [-- --json FILE] [-- --every SECONDS]
import { writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { LocalCluster } from '../../test/support/cluster.js';
import { seedKeys, Traffic, verifyAll } from '../../test/support/traffic.js';
import { changeMembership, type ChangeRecord } from './membership.js';
import { RssTracker } from './rss.js';

interface Options {
  minutes: number;
  everySeconds: number;
  json: string | undefined;
}

function parseArgs(argv: string[]): Options {
  const value = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i === -1 ? undefined : argv[i + 1];
  };
  const options = { minutes: Number(value('--minutes') ?? 5), everySeconds: Number(value('--every') ?? 30), json: value('--json') };
  if (!(options.minutes > 0) || !(options.everySeconds > 0)) throw new Error('--minutes and --every take positive numbers');
  return options;
}

function processes(cluster: LocalCluster): { name: string; pid: number | undefined }[] {
  return [
    ...cluster.servers.filter((s) => s.running).map((s) => ({ name: s.options.nodeId ?? 'server', pid: s.pid })),
    ...cluster.clients.map((c, i) => ({ name: `router-${i + 1}`, pid: c.pid })),
  ];
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const cluster = await LocalCluster.start({ servers: 4 });
  const second = await cluster.addClient();
  await cluster.waitForMembers(4, 'serving', second);
  const rss = new RssTracker();
  const changes: ChangeRecord[] = [];
  const started = Date.now();
  const durationMs = options.minutes * 60_000;
  const routers = (): string => cluster.clients[Math.floor(Math.random() * cluster.clients.length)]!.url;
  try {
    const acked = await seedKeys(cluster.client.url, 5000, 'soak');
    const traffic = new Traffic(routers, acked, { workers: 6, writeRatio: 0.3, maxDurationMs: durationMs + 120_000, maxOps: Number.MAX_SAFE_INTEGER }).start();
    rss.sample(processes(cluster));
    let nextChange = started + options.everySeconds * 1000;
    for (let turn = 0; Date.now() - started < durationMs; ) {
      await sleep(Math.min(5000, Math.max(0, nextChange - Date.now())));
      rss.sample(processes(cluster));
      if (Date.now() < nextChange || Date.now() - started >= durationMs) continue;
      const atSeconds = Math.round((Date.now() - started) / 1000);
      const change = { atSeconds, ...(await changeMembership(cluster, turn++)) };
      changes.push(change);
      const s = traffic.stats;
      console.log(`[${atSeconds}s] ${change.kind} ${change.server}: settled in ${change.settledMs} ms; ` +
        `so far reads ${s.reads}, writes ${s.writes}, misses ${s.misses}, stale ${s.stale}, errors ${s.errors}`);
      nextChange += options.everySeconds * 1000;
    }
    const stats = await traffic.stop();
    rss.sample(processes(cluster));
    const final = await verifyAll(cluster.client.url, acked);
    const report = {
      minutes: options.minutes, changeEverySeconds: options.everySeconds, elapsedSeconds: Math.round((Date.now() - started) / 1000),
      reads: stats.reads, writes: stats.writes, misses: stats.misses, stale: stats.stale, errors: stats.errors,
      firstProblems: stats.firstProblems,
      finalCheck: { keys: final.checked, misses: final.misses.length, stale: final.stale.length },
      changes, rss: rss.report(),
    };
    print(report);
    if (options.json) writeFileSync(options.json, `${JSON.stringify(report, null, 2)}\n`);
    process.exitCode = stats.misses + stats.stale + final.misses.length + final.stale.length === 0 ? 0 : 1;
  } finally {
    await cluster.stop();
  }
}

function print(report: { reads: number; writes: number; misses: number; stale: number; errors: number; elapsedSeconds: number;
  finalCheck: { keys: number; misses: number; stale: number }; changes: ChangeRecord[]; rss: ReturnType<RssTracker['report']>; firstProblems: string[] }): void {
  console.log(`\nsoak: ${report.elapsedSeconds} s, ${report.changes.length} membership changes`);
  console.log(`traffic: reads ${report.reads}, writes ${report.writes}, misses ${report.misses}, stale ${report.stale}, errors ${report.errors}`);
  console.log(`final read of ${report.finalCheck.keys} keys: misses ${report.finalCheck.misses}, stale ${report.finalCheck.stale}`);
  for (const p of report.firstProblems) console.log(`  problem: ${p}`);
  console.log('RSS per process (MiB): first → last (peak), samples');
  for (const r of report.rss) console.log(`  ${r.name.padEnd(10)} pid ${r.pid}: ${r.firstMiB} → ${r.lastMiB} (${r.peakMiB}), ${r.samples}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(2);
});
