import { expect } from 'chai';
import type { V1Container, V1PodSpec } from '@kubernetes/client-node';
import { parseTokenFile } from '../../../dataplane/security/cluster-token.js';
import { CLUSTER_TOKEN_FILE_PATH, desiredClusterTokenSecret, newClusterToken } from '../../../operator/resources/cluster-token.js';
import { desiredRouterDeployment } from '../../../operator/resources/router-workload.js';
import { desiredServerDeployment } from '../../../operator/resources/server-workload.js';
import { contextFor, envOf } from '../../support/operator-fixtures.js';

describe('operator resources: the cluster token', () => {
  it('is a Secret named N-cluster-token, owned by the cache, holding one token the data plane accepts', () => {
    const secret = desiredClusterTokenSecret(contextFor(), 'a-token-of-sixteen-or-more');
    expect(secret.metadata.name).to.equal('demo-cluster-token');
    expect(secret.metadata.ownerReferences?.[0]).to.deep.include({ kind: 'DistributedCache', name: 'demo', controller: true });
    expect(secret.type).to.equal('Opaque');
    expect(secret.stringData).to.deep.equal({ token: 'a-token-of-sixteen-or-more\n' });
  });

  it('makes a different random token each time, in a form the data plane reads', () => {
    const [one, two] = [newClusterToken(), newClusterToken()];
    expect(one).not.to.equal(two);
    expect(parseTokenFile(`${one}\n`)).to.deep.equal({ current: one, previous: undefined });
  });

  for (const [role, build] of [['server', desiredServerDeployment], ['client', desiredRouterDeployment]] as const) {
    it(`is mounted read-only into the ${role} pods as a file, which CLUSTER_TOKEN_FILE names`, () => {
      const pod = build(contextFor()).spec?.template.spec as V1PodSpec;
      const container = pod.containers[0] as V1Container;
      expect(pod.volumes).to.deep.equal([{ name: 'cluster-token', secret: { secretName: 'demo-cluster-token', defaultMode: 0o440 } }]);
      expect(container.volumeMounts).to.deep.equal([{ name: 'cluster-token', mountPath: '/etc/distributed-cache/cluster-token', readOnly: true }]);
      expect(envOf(container).values['CLUSTER_TOKEN_FILE']).to.equal(CLUSTER_TOKEN_FILE_PATH);
      expect(envOf(container).values).not.to.have.property('CLUSTER_TOKEN');
      // The restricted security context stays as it was.
      expect(container.securityContext).to.deep.equal({ allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, readOnlyRootFilesystem: true });
      expect(pod.securityContext).to.deep.include({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    });
  }
});
