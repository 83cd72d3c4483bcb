// RSS of every process a soak starts, sampled through /proc: first and last
// reading and the peak, so growth over the run shows per process.
import { readFileSync } from 'node:fs';

export interface RssRecord {
  name: string;
  pid: number;
  firstMiB: number;
  lastMiB: number;
  peakMiB: number;
  samples: number;
}

function rssMiB(pid: number): number | undefined {
  try {
    const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return kb ? Number(kb[1]) / 1024 : undefined;
  } catch {
    return undefined; // gone (killed or drained)
  }
}

export class RssTracker {
  private readonly records = new Map<number, RssRecord>();

  sample(processes: readonly { name: string; pid: number | undefined }[]): void {
    for (const { name, pid } of processes) {
      if (pid === undefined) continue;
      const mib = rssMiB(pid);
      if (mib === undefined) continue;
      const record = this.records.get(pid);
      if (!record) this.records.set(pid, { name, pid, firstMiB: mib, lastMiB: mib, peakMiB: mib, samples: 1 });
      else Object.assign(record, { lastMiB: mib, peakMiB: Math.max(record.peakMiB, mib), samples: record.samples + 1 });
    }
  }

  report(): RssRecord[] {
    const round = (n: number): number => Math.round(n * 10) / 10;
    return [...this.records.values()].map((r) => ({ ...r, firstMiB: round(r.firstMiB), lastMiB: round(r.lastMiB), peakMiB: round(r.peakMiB) }));
  }
}
