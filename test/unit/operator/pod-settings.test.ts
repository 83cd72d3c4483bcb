// spec.servers, spec.clients and spec.zookeeper pod settings, and what they do
// to the pod templates the operator renders.
import { expect } from 'chai';
import type { V1Affinity, V1PodTemplateSpec, V1Toleration, V1TopologySpreadConstraint } from '@kubernetes/client-node';
import type { DistributedCacheSpec } from '../../../operator/api/distributed-cache.js';
import { OPERATOR_LABEL_KEYS } from '../../../operator/api/pod-settings.js';
import { ANNOTATION, LABEL } from '../../../operator/resources/names.js';
import { desiredRouterDeployment, desiredRouterService } from '../../../operator/resources/router-workload.js';
import { desiredServerDeployment } from '../../../operator/resources/server-workload.js';
import { desiredZooKeeperStatefulSet } from '../../../operator/resources/zookeeper.js';
import { contextFor } from '../../support/operator-fixtures.js';

type Tier = 'servers' | 'clients' | 'zookeeper';

function templateOf(tier: Tier, settings: Record<string, unknown> = {}): V1PodTemplateSpec {
  const spec = { [tier]: settings } as DistributedCacheSpec;
  const ctx = contextFor(spec);
  const workload =
    tier === 'servers' ? desiredServerDeployment(ctx) : tier === 'clients' ? desiredRouterDeployment(ctx) : desiredZooKeeperStatefulSet(ctx);
  const template = workload?.spec?.template;
  if (template === undefined) throw new Error(`no pod template for ${tier}`);
  return template;
}

const COMPONENT: Record<Tier, string> = { servers: 'server', clients: 'client', zookeeper: 'zookeeper' };
const selectorOf = (tier: Tier) => ({
  'app.kubernetes.io/name': 'distributed-cache',
  'app.kubernetes.io/instance': 'demo',
  'app.kubernetes.io/component': COMPONENT[tier],
});
const spread = (tier: Tier, topologyKey: string): V1TopologySpreadConstraint => ({
  maxSkew: 1,
  topologyKey,
  whenUnsatisfiable: 'ScheduleAnyway',
  labelSelector: { matchLabels: selectorOf(tier) },
  // Servers: counted within their own pod template, so a rolling update ends even.
  ...(tier === 'servers' ? { matchLabelKeys: ['pod-template-hash'] } : {}),
});

const TOLERATIONS: V1Toleration[] = [{ key: 'dedicated', operator: 'Equal', value: 'cache', effect: 'NoSchedule' }];
const AFFINITY: V1Affinity = {
  nodeAffinity: {
    requiredDuringSchedulingIgnoredDuringExecution: {
      nodeSelectorTerms: [{ matchExpressions: [{ key: 'node.kubernetes.io/instance-type', operator: 'In', values: ['m5.large'] }] }],
    },
  },
};
const OWN_SPREAD: V1TopologySpreadConstraint[] = [
  { maxSkew: 2, topologyKey: 'topology.kubernetes.io/region', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { a: 'b' } } },
];

describe('operator resources: pod settings', () => {
  describe('default topology spread', () => {
    it('spreads servers across zones and across nodes, ScheduleAnyway, selecting the servers of the same pod template', () => {
      expect(templateOf('servers').spec?.topologySpreadConstraints).to.deep.equal([
        spread('servers', 'topology.kubernetes.io/zone'),
        spread('servers', 'kubernetes.io/hostname'),
      ]);
    });

    for (const tier of ['clients', 'zookeeper'] as const) {
      it(`spreads ${tier} across zones and across nodes, ScheduleAnyway`, () => {
        expect(templateOf(tier).spec?.topologySpreadConstraints).to.deep.equal([
          spread(tier, 'topology.kubernetes.io/zone'),
          spread(tier, 'kubernetes.io/hostname'),
        ]);
      });
    }
  });

  for (const tier of ['servers', 'clients', 'zookeeper'] as const) {
    describe(`spec.${tier}`, () => {
      it('leaves nodeSelector, tolerations, affinity and priorityClassName out by default', () => {
        const pod = templateOf(tier).spec;
        expect(pod).to.not.have.any.keys('nodeSelector', 'tolerations', 'affinity', 'priorityClassName');
      });

      it('copies nodeSelector, tolerations, affinity and priorityClassName into the pod spec', () => {
        const pod = templateOf(tier, {
          nodeSelector: { pool: 'cache' },
          tolerations: TOLERATIONS,
          affinity: AFFINITY,
          priorityClassName: 'cache-critical',
        }).spec;
        expect(pod?.nodeSelector).to.deep.equal({ pool: 'cache' });
        expect(pod?.tolerations).to.deep.equal(TOLERATIONS);
        expect(pod?.affinity).to.deep.equal(AFFINITY);
        expect(pod?.priorityClassName).to.equal('cache-critical');
      });

      it("replaces the default spread with the user's list, entirely", () => {
        expect(templateOf(tier, { topologySpreadConstraints: OWN_SPREAD }).spec?.topologySpreadConstraints).to.deep.equal(OWN_SPREAD);
      });

      it('runs with no spread constraints at all when given an empty list', () => {
        expect(templateOf(tier, { topologySpreadConstraints: [] }).spec).to.not.have.property('topologySpreadConstraints');
      });

      it('adds podLabels and podAnnotations to the pod template, under the operator\'s own', () => {
        const template = templateOf(tier, { podLabels: { team: 'payments' }, podAnnotations: { 'example.com/scrape': 'yes' } });
        expect(template.metadata?.labels).to.deep.equal({
          ...selectorOf(tier),
          'app.kubernetes.io/managed-by': 'distributed-cache-operator',
          team: 'payments',
        });
        expect(template.metadata?.annotations).to.have.property('example.com/scrape', 'yes');
        expect(template.metadata?.annotations).to.have.property(ANNOTATION.configChecksum);
      });

      it('keeps its own labels and checksum when a pod label or annotation names the same key', () => {
        const template = templateOf(tier, {
          podLabels: { 'app.kubernetes.io/instance': 'other' },
          podAnnotations: { [ANNOTATION.configChecksum]: 'mine' },
        });
        expect(template.metadata?.labels?.['app.kubernetes.io/instance']).to.equal('demo');
        expect(template.metadata?.annotations?.[ANNOTATION.configChecksum]).to.not.equal('mine');
      });

      it('changes the config checksum when a pod setting changes, so the pods roll', () => {
        const before = templateOf(tier).metadata?.annotations?.[ANNOTATION.configChecksum];
        const after = templateOf(tier, { tolerations: TOLERATIONS }).metadata?.annotations?.[ANNOTATION.configChecksum];
        expect(after).to.be.a('string').and.not.equal(before);
      });
    });
  }

  it("refuses (in the schema's CEL rule) exactly the label keys the operator sets", () => {
    // The API layer cannot import resources/names.ts (it imports the API), so the two lists are kept equal here.
    expect([...OPERATOR_LABEL_KEYS].sort()).to.deep.equal(Object.values(LABEL).sort());
  });

  describe('spec.zookeeper.resources', () => {
    const zkResources = (zookeeper: Record<string, unknown>) => templateOf('zookeeper', zookeeper).spec?.containers[0]?.resources;

    it("defaults to today's fixed values: 100m CPU and 384Mi requested, 512Mi limit", () => {
      expect(zkResources({})).to.deep.equal({ requests: { cpu: '100m', memory: '384Mi' }, limits: { memory: '512Mi' } });
    });

    it('takes the user\'s requests and limits as they are', () => {
      expect(zkResources({ resources: { requests: { cpu: '1', memory: '1Gi' }, limits: { memory: '2Gi' } } })).to.deep.equal({
        requests: { cpu: '1', memory: '1Gi' },
        limits: { memory: '2Gi' },
      });
    });
  });

  describe('spec.clients.service.annotations', () => {
    const service = (spec: DistributedCacheSpec) => desiredRouterService(contextFor(spec));

    it('puts them on the client Service (a cloud load balancer reads its settings there)', () => {
      const annotations = { 'service.beta.kubernetes.io/aws-load-balancer-internal': 'true' };
      expect(service({ clients: { service: { type: 'LoadBalancer', annotations } } }).metadata.annotations).to.deep.equal(annotations);
    });

    it('leaves the Service without annotations by default', () => {
      expect(service({}).metadata).to.not.have.property('annotations');
    });

    it('puts them on no other child', () => {
      const annotations = { 'example.com/x': 'y' };
      expect(desiredRouterDeployment(contextFor({ clients: { service: { annotations } } })).metadata.annotations ?? {}).to.not.have.property(
        'example.com/x',
      );
    });
  });
});
