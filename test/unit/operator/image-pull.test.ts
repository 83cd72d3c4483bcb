// spec.imagePullPolicy and spec.imagePullSecrets reach every pod the operator runs.
import { expect } from 'chai';
import type { V1PodTemplateSpec } from '@kubernetes/client-node';
import type { DistributedCacheSpec } from '../../../operator/api/distributed-cache.js';
import { desiredServerDeployment } from '../../../operator/resources/server-workload.js';
import { desiredRouterDeployment } from '../../../operator/resources/router-workload.js';
import { desiredZooKeeperStatefulSet } from '../../../operator/resources/zookeeper.js';
import { ANNOTATION } from '../../../operator/resources/names.js';
import { contextFor } from '../../support/operator-fixtures.js';

function templates(spec: DistributedCacheSpec): Record<string, V1PodTemplateSpec | undefined> {
  const ctx = contextFor(spec);
  return {
    server: desiredServerDeployment(ctx).spec?.template,
    router: desiredRouterDeployment(ctx).spec?.template,
    zookeeper: desiredZooKeeperStatefulSet(ctx)?.spec?.template,
  };
}

describe('operator resources: image pull settings', () => {
  it('defaults every container to IfNotPresent, with no pull secrets', () => {
    for (const [role, template] of Object.entries(templates({}))) {
      expect(template?.spec?.containers.map((c) => c.imagePullPolicy), role).to.deep.equal(['IfNotPresent']);
      expect(template?.spec?.imagePullSecrets, role).to.equal(undefined);
    }
  });

  it('puts the given policy and secrets on every pod', () => {
    const spec: DistributedCacheSpec = { imagePullPolicy: 'Always', imagePullSecrets: [{ name: 'regcred' }] };
    for (const [role, template] of Object.entries(templates(spec))) {
      expect(template?.spec?.containers.map((c) => c.imagePullPolicy), role).to.deep.equal(['Always']);
      expect(template?.spec?.imagePullSecrets, role).to.deep.equal([{ name: 'regcred' }]);
    }
  });

  it('rolls the pods when the pull settings change (the checksum covers them)', () => {
    const before = templates({});
    const after = templates({ imagePullSecrets: [{ name: 'regcred' }] });
    for (const role of Object.keys(before)) {
      expect(after[role]?.metadata?.annotations?.[ANNOTATION.configChecksum], role).to.not.equal(
        before[role]?.metadata?.annotations?.[ANNOTATION.configChecksum],
      );
    }
  });
});
