// One source of truth: with default values the chart renders what
// `kubectl kustomize manifests/` (make deploy) does, object for object and
// field for field, apart from Helm's labels, the CRD's keep annotation, and
// the Namespace, which `helm install --create-namespace` makes instead.
// The CRD, the ClusterRole, the leader-election Role and the ServiceAccount
// are the very files of crds/ and manifests/ (charts/.../files/ links to
// them); this test holds the templated rest to the kustomization.
import { expect } from 'chai';
import { kubectl } from '../../support/control-plane.js';
import { helmBinary, HELM_BUILD_TIMEOUT_MS, helmTemplate, RELEASE_NAMESPACE } from '../../support/helm.js';
import { repoPath } from '../../support/operator-repo.js';
import { byKey, HELM_LABELS, parseObjects, withoutHelmMetadata, type KubeObject } from '../../support/rendered-objects.js';

const NAMESPACE_KEY = `Namespace /${RELEASE_NAMESPACE}`;

describe('charts/distributed-cache and manifests/ render the same objects', function () {
  let chart: Map<string, KubeObject>;
  let kustomized: Map<string, KubeObject>;

  before(async function () {
    this.timeout(HELM_BUILD_TIMEOUT_MS);
    helmBinary();
    chart = byKey(parseObjects(await helmTemplate()));
    kustomized = byKey(parseObjects(await kubectl(['kustomize', repoPath('manifests')])));
  });

  it("manifests/ has the operator's Namespace, which the chart leaves to --create-namespace", function () {
    expect(kustomized.has(NAMESPACE_KEY), [...kustomized.keys()].join(', ')).to.equal(true);
    expect(chart.has(NAMESPACE_KEY)).to.equal(false);
  });

  it('the chart renders every other object of manifests/, and nothing more', function () {
    const expected = [...kustomized.keys()].filter((key) => key !== NAMESPACE_KEY).sort();
    expect([...chart.keys()].sort()).to.deep.equal(expected);
  });

  it("each object is the same, field for field, apart from Helm's labels and the CRD's keep annotation", function () {
    for (const [key, object] of chart) {
      const expected = kustomized.get(key);
      if (expected === undefined) continue; // the test above names it
      expect(withoutHelmMetadata(object), key).to.deep.equal(expected);
    }
  });

  it("Helm's labels are the only labels the chart adds", function () {
    for (const [key, object] of chart) {
      const base = kustomized.get(key)?.metadata.labels ?? {};
      const added = Object.keys(object.metadata.labels ?? {}).filter((label) => !(label in base));
      expect(added.sort(), key).to.deep.equal([...HELM_LABELS].sort());
    }
  });

  it('with monitoring on, its metrics Service and ServiceMonitor are those of manifests/monitoring/, apart from Helm\'s labels', async function () {
    const monitoring = byKey(parseObjects(await helmTemplate(['monitoring.enabled=true'])));
    const kustomizedMonitoring = byKey(parseObjects(await kubectl(['kustomize', repoPath('manifests', 'monitoring')])));
    const added = [...monitoring.keys()].filter((key) => !chart.has(key)).sort();
    // The alerts (a PrometheusRule) are manifests/monitoring/'s alone: the chart installs the operator, not a cache's alerting.
    expect(added).to.deep.equal([...kustomizedMonitoring.keys()].filter((key) => !key.startsWith('PrometheusRule ')).sort());
    for (const key of added) expect(withoutHelmMetadata(monitoring.get(key) as KubeObject), key).to.deep.equal(kustomizedMonitoring.get(key));
  });
});
