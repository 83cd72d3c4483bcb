// `helm lint --strict`: the chart is well formed, and so is what each set of
// values renders (lint renders the templates and checks the values' schema).
import { expect } from 'chai';
import { CHART_DIR, helm, helmBinary, HELM_BUILD_TIMEOUT_MS, RELEASE_NAMESPACE } from '../../support/helm.js';

const VARIANTS: Record<string, readonly string[]> = {
  'default values': [],
  'one namespace watched': ['watchNamespaces={team-a}'],
  'monitoring on': ['monitoring.enabled=true', 'monitoring.serviceMonitor.labels.release=prometheus'],
  'a custom image': ['image.repository=registry.example/dc/operator', 'image.tag=1.2.3', 'image.pullPolicy=Always', 'image.pullSecrets={regcred}'],
};

describe('helm lint charts/distributed-cache', function () {
  before(function () {
    this.timeout(HELM_BUILD_TIMEOUT_MS);
    helmBinary();
  });

  for (const [variant, sets] of Object.entries(VARIANTS)) {
    it(`passes --strict with ${variant}`, async function () {
      const args = ['lint', '--strict', CHART_DIR, '--namespace', RELEASE_NAMESPACE, ...sets.flatMap((set) => ['--set', set])];
      const { stdout } = await helm(args);
      expect(stdout).to.match(/1 chart\(s\) linted, 0 chart\(s\) failed/);
      expect(stdout).not.to.match(/\[(WARNING|ERROR)\]/);
    });
  }
});
