import { expect } from 'chai';
import { applyReason, contains, quantityValue } from '../../../operator/reconcile/drift.js';
import { desiredChildren } from '../../../operator/resources/desired-state.js';
import type { ChildObject } from '../../../operator/resources/child-kinds.js';
import { aCache, resolved } from '../../support/operator-fixtures.js';

/** The server Deployment as the API server would return it: with defaults, status and fields of other managers. */
function asStored(desired: ChildObject): ChildObject {
  // any: the fixture reaches into nested fields freely.
  const stored = structuredClone(desired) as ChildObject & { spec: any; status?: unknown };
  stored.metadata = { ...stored.metadata, uid: 'x', resourceVersion: '42', generation: 1 };
  Object.assign(stored.metadata, { creationTimestamp: '2026-01-01T00:00:00Z' });
  stored.spec.revisionHistoryLimit = 10;
  stored.spec.progressDeadlineSeconds = 600;
  const container = stored.spec.template.spec.containers[0];
  container.imagePullPolicy = 'IfNotPresent';
  container.terminationMessagePath = '/dev/termination-log';
  container.env = container.env.map((v: { valueFrom?: { fieldRef?: object } }) =>
    v.valueFrom?.fieldRef ? { ...v, valueFrom: { fieldRef: { apiVersion: 'v1', ...v.valueFrom.fieldRef } } } : v,
  );
  stored.status = { replicas: 3, readyReplicas: 1 };
  return stored;
}

const serverDeployment = (): ChildObject => {
  const found = desiredChildren(aCache(), resolved()).find((c) => c.kind === 'Deployment' && c.metadata.name === 'demo-server');
  if (found === undefined) throw new Error('no server Deployment');
  return found;
};

describe('operator reconcile: does a child need applying?', () => {
  it('applies what is missing', () => {
    expect(applyReason(serverDeployment(), undefined)).to.equal('missing');
  });

  it('leaves alone what the API server stored from the same intent, defaults and status included', () => {
    const desired = serverDeployment();
    expect(applyReason(desired, asStored(desired))).to.equal(undefined);
  });

  it('applies when the intent changed (a new applied hash), even if only a field was dropped', () => {
    const stored = asStored(serverDeployment());
    const next = desiredChildren(aCache({ servers: { replicas: 5 } }), resolved({ servers: { replicas: 5 } }))
      .find((c) => c.metadata.name === 'demo-server' && c.kind === 'Deployment') as ChildObject;
    expect(applyReason(next, stored)).to.equal('changed');
  });

  // any: each edit reaches into nested fields freely.
  const edits: Array<[string, (o: any) => void]> = [
    ['replicas changed by hand', (o) => (o.spec.replicas = 1)],
    ['an env var removed', (o) => o.spec.template.spec.containers[0].env.pop()],
    ['the image changed', (o) => (o.spec.template.spec.containers[0].image = 'other')],
    ['a label removed', (o) => delete o.metadata.labels['app.kubernetes.io/component']],
    ['a container added', (o) => o.spec.template.spec.containers.push({ name: 'sidecar', image: 'x' })],
  ];
  for (const [what, edit] of edits) {
    it(`re-applies when someone else edited it: ${what}`, () => {
      const stored = asStored(serverDeployment());
      edit(stored);
      expect(applyReason(serverDeployment(), stored)).to.equal('drifted');
    });
  }

  it('tolerates fields others added (an extra label or annotation)', () => {
    const stored = asStored(serverDeployment()) as ChildObject & { metadata: { labels: Record<string, string> } };
    stored.metadata.labels['team'] = 'payments';
    expect(applyReason(serverDeployment(), stored)).to.equal(undefined);
  });

  it('compares quantities by value under requests and limits, as the API server canonicalises them', () => {
    expect(contains({ requests: { cpu: '1' } }, { requests: { cpu: '1000m' } }, [])).to.equal(true);
    expect(contains({ limits: { memory: '1Gi' } }, { limits: { memory: '1024Mi' } }, [])).to.equal(true);
    expect(contains({ limits: { memory: '1G' } }, { limits: { memory: '1Gi' } }, [])).to.equal(false);
    expect(contains({ env: [{ value: '1' }] }, { env: [{ value: '1000m' }] }, [])).to.equal(false);
  });

  it('treats a missing list and an empty one alike', () => {
    expect(contains({}, { args: [] }, [])).to.equal(true);
    expect(contains({ args: ['a'] }, { args: [] }, [])).to.equal(false);
  });

  const quantities: Array<[string | number, number | undefined]> = [
    ['500m', 0.5], ['1', 1], [2, 2], ['1Ki', 1024], ['1.5Gi', 1.5 * 2 ** 30], ['1e3', 1000], ['1k', 1000], ['lots', undefined],
  ];
  for (const [text, value] of quantities) {
    it(`reads the quantity ${JSON.stringify(text)} as ${value}`, () => {
      expect(quantityValue(text)).to.equal(value);
    });
  }
});
