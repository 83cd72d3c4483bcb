// Replicated, read from the server Deployment (operator/status/replication.ts),
// and the scale-down it paces (pacedServerReplicas in resources/server-workload.ts).
import { expect } from 'chai';
import type { V1Deployment } from '@kubernetes/client-node';
import { desiredServerDeployment, pacedServerReplicas } from '../../../operator/resources/server-workload.js';
import { serverReplication } from '../../../operator/status/replication.js';
import { contextFor } from '../../support/operator-fixtures.js';

interface Observed {
  replicas: number;
  running?: number;
  ready?: number;
  updated?: number;
  terminating?: number;
  generation?: number;
  observedGeneration?: number;
}

function servers({ replicas, running = replicas, ready = running, updated = running, terminating, generation = 2, observedGeneration = generation }: Observed): V1Deployment {
  return {
    metadata: { generation },
    spec: { replicas, selector: {}, template: {} },
    status: { observedGeneration, replicas: running, readyReplicas: ready, updatedReplicas: updated, ...(terminating !== undefined ? { terminatingReplicas: terminating } : {}) },
  };
}

describe('operator: Replicated, from the servers\' readiness', () => {
  it('is True when every server is ready and none is leaving', () => {
    expect(serverReplication(servers({ replicas: 3 }))).to.deep.equal({
      replicated: true, reason: 'AllCopies', message: 'all 3 servers report a settled ring and no hand-off: every key has its copies',
    });
  });

  it('counts a Deployment from before Kubernetes 1.35 (no terminatingReplicas) by its readiness alone', () => {
    expect(serverReplication(servers({ replicas: 3, terminating: undefined })).replicated).to.equal(true);
  });

  // what, the server Deployment, reason, message
  const table: Array<[string, V1Deployment | undefined, string, string]> = [
    ['no Deployment yet', undefined, 'NoServerDeployment', 'the server Deployment does not exist yet'],
    ['scaled to zero', servers({ replicas: 0 }), 'NoServers', 'no servers hold keys'],
    ['a change the Deployment controller has not seen', servers({ replicas: 3, generation: 3, observedGeneration: 2 }), 'RollingOut', 'the Deployment controller has not acted on the server Deployment\'s latest change yet'],
    ['a server shutting down: it hands its keys off', servers({ replicas: 3, terminating: 1 }), 'ServersLeaving', '1 server is shutting down and handing keys off'],
    ['a rollout under way', servers({ replicas: 3, running: 4, updated: 2 }), 'RollingOut', '2/3 servers run the current pod template'],
    ['more pods than wanted', servers({ replicas: 3, running: 4 }), 'Scaling', '4 server pods, 3 wanted'],
    ['a server not ready: joining, seeing a hand-off, or down', servers({ replicas: 3, ready: 2 }), 'HandOffRunning', '2/3 servers report every key replicated; the others are receiving keys, seeing a hand-off, or not running'],
  ];
  for (const [what, deployment, reason, message] of table) {
    it(`is False for ${what} (${reason})`, () => {
      expect(serverReplication(deployment)).to.deep.equal({ replicated: false, reason, message });
    });
  }
});

describe('operator: a scale-down removes one server at a time, each once Replicated', () => {
  // what, wanted by the cache, the server Deployment now, replicas to apply
  const table: Array<[string, number, V1Deployment | undefined, number]> = [
    ['a new cache takes what it wants', 5, undefined, 5],
    ['a scale-up goes at once', 7, servers({ replicas: 3, ready: 1 }), 7],
    ['a scale-down steps by one once replicated', 3, servers({ replicas: 5 }), 4],
    ['and waits while a server is leaving', 3, servers({ replicas: 4, terminating: 1 }), 4],
    ['and while the peers copy its keys again', 3, servers({ replicas: 4, ready: 2 }), 4],
    ['and until the Deployment controller has seen the last step', 3, servers({ replicas: 4, generation: 5, observedGeneration: 4 }), 4],
    ['and takes the last step once replicated again', 3, servers({ replicas: 4 }), 3],
    ['no change when there is none', 3, servers({ replicas: 3, ready: 1 }), 3],
  ];
  for (const [what, wanted, deployment, expected] of table) {
    it(what, () => expect(pacedServerReplicas(wanted, deployment)).to.equal(expected));
  }

  it('is what the desired server Deployment asks for', () => {
    const ctx = contextFor({ servers: { replicas: 3 } });
    expect(desiredServerDeployment(ctx, servers({ replicas: 5 })).spec?.replicas).to.equal(4);
    expect(desiredServerDeployment(ctx).spec?.replicas).to.equal(3);
  });
});
