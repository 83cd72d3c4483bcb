// A copy of charts/distributed-cache as a newer release of it would ship:
// links followed (as `helm package` does), with an edited CRD.
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dump, load } from 'js-yaml';
import { CHART_DIR } from './helm.js';

export interface ChartCopy {
  readonly dir: string;
  remove(): Promise<void>;
}

/** Copies the chart, lets `edit` change its CRD (a plain object), and sets the chart's version. */
export async function chartWithEditedCrd(version: string, edit: (crd: Record<string, unknown>) => void): Promise<ChartCopy> {
  const parent = await mkdtemp(join(tmpdir(), 'dc-chart-'));
  const dir = join(parent, 'distributed-cache');
  await cp(CHART_DIR, dir, { recursive: true, dereference: true });

  const crdPath = join(dir, 'files', 'crd.yaml');
  const crd = load(await readFile(crdPath, 'utf8')) as Record<string, unknown>;
  edit(crd);
  await writeFile(crdPath, dump(crd, { lineWidth: -1 }));

  const chartPath = join(dir, 'Chart.yaml');
  const chart = await readFile(chartPath, 'utf8');
  await writeFile(chartPath, chart.replace(/^version: .*$/m, `version: ${version}`));
  return { dir, remove: () => rm(parent, { recursive: true, force: true }) };
}
