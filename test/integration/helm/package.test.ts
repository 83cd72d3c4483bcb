// `helm package` follows the chart's links into crds/ and manifests/, so a
// packaged chart (what a chart repository serves) stands alone and renders
// exactly what the chart directory does.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { CHART_DIR, helm, helmBinary, HELM_BUILD_TIMEOUT_MS, helmTemplate } from '../../support/helm.js';

describe('helm package charts/distributed-cache', function () {
  let out: string;

  before(async function () {
    this.timeout(HELM_BUILD_TIMEOUT_MS);
    helmBinary();
    out = await mkdtemp(join(tmpdir(), 'dc-chart-package-'));
  });

  after(async function () {
    await rm(out, { recursive: true, force: true });
  });

  it('bundles the linked files: the archive renders what the directory does', async function () {
    await helm(['package', CHART_DIR, '--destination', out]);
    const archives = await readdir(out);
    expect(archives).to.deep.equal(['distributed-cache-0.1.0.tgz']);
    const fromArchive = await helmTemplate(['monitoring.enabled=true'], { chart: join(out, archives[0] as string) });
    expect(fromArchive).to.equal(await helmTemplate(['monitoring.enabled=true']));
  });
});
