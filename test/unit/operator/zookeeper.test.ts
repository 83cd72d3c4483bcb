import { expect } from 'chai';
import type { V1Container } from '@kubernetes/client-node';
import {
  desiredZooKeeperHeadlessService,
  desiredZooKeeperPdb,
  desiredZooKeeperService,
  desiredZooKeeperStatefulSet,
  zookeeperHeapMiB,
} from '../../../operator/resources/zookeeper.js';
import { ANNOTATION } from '../../../operator/resources/names.js';
import { contextFor, envOf } from '../../support/operator-fixtures.js';

const OWNER = { apiVersion: 'cache.distributed.dev/v1alpha1', kind: 'DistributedCache', name: 'demo', controller: true, blockOwnerDeletion: true };
const zkContainer = (replicas = 1): V1Container =>
  desiredZooKeeperStatefulSet(contextFor({ zookeeper: { replicas } }))?.spec?.template.spec?.containers[0] as V1Container;

describe('operator resources: the ZooKeeper ensemble', () => {
  const sizes: Array<[number, boolean]> = [
    [1, false],
    [3, true],
    [5, true],
    [7, true],
  ];
  for (const [replicas, hasPdb] of sizes) {
    it(`runs ${replicas} member(s), each listed in ZOO_SERVERS by its stable name${hasPdb ? ', with a PDB' : ''}`, () => {
      const ctx = contextFor({ zookeeper: { replicas } });
      const sts = desiredZooKeeperStatefulSet(ctx);
      expect(sts?.spec?.replicas).to.equal(replicas);
      const servers = envOf(zkContainer(replicas)).values['ZOO_SERVERS']?.split(' ') ?? [];
      expect(servers).to.have.length(replicas);
      expect(servers[0]).to.equal('server.1=demo-zookeeper-0.demo-zookeeper-headless.shop.svc:2888:3888;2181');
      expect(servers[replicas - 1]).to.equal(
        `server.${replicas}=demo-zookeeper-${replicas - 1}.demo-zookeeper-headless.shop.svc:2888:3888;2181`,
      );
      const pdb = desiredZooKeeperPdb(ctx);
      expect(pdb !== undefined).to.equal(hasPdb);
      if (pdb !== undefined) {
        expect(pdb.spec?.maxUnavailable).to.equal(1);
        expect(pdb.spec?.selector?.matchLabels).to.deep.equal(sts?.spec?.selector.matchLabels);
      }
    });
  }

  describe('sizes the JVM heap (ZK_SERVER_HEAP, MiB) from the member\'s memory', () => {
    const cases: Array<[string, Parameters<typeof zookeeperHeapMiB>[0], number]> = [
      ['the default limit, 512Mi: 256, as before', { requests: { memory: '384Mi' }, limits: { memory: '512Mi' } }, 256],
      ['a limit of 2Gi: half of it', { limits: { memory: '2Gi' } }, 1024],
      ['a limit in decimal units, 1G', { limits: { memory: '1G' } }, 476],
      ['a request and no limit: half the request', { requests: { memory: '1Gi' } }, 512],
      ['neither: 256', { requests: { cpu: '1' } }, 256],
      ['no resources at all: 256', undefined, 256],
      ['a tiny limit: still 64', { limits: { memory: '96Mi' } }, 64],
    ];
    for (const [what, resources, heap] of cases) {
      it(what, () => expect(zookeeperHeapMiB(resources)).to.equal(heap));
    }

    it('passes it to the members', () => {
      const container = desiredZooKeeperStatefulSet(contextFor({ zookeeper: { resources: { limits: { memory: '2Gi' } } } }))
        ?.spec?.template.spec?.containers[0] as V1Container;
      expect(envOf(container).values['ZK_SERVER_HEAP']).to.equal('1024');
      expect(envOf(zkContainer()).values['ZK_SERVER_HEAP']).to.equal('256');
    });
  });

  it('creates nothing for ZooKeeper when connectString names an existing ensemble', () => {
    const ctx = contextFor({ zookeeper: { connectString: 'zk:2181' } });
    expect([
      desiredZooKeeperStatefulSet(ctx),
      desiredZooKeeperHeadlessService(ctx),
      desiredZooKeeperService(ctx),
      desiredZooKeeperPdb(ctx),
    ]).to.deep.equal([undefined, undefined, undefined, undefined]);
  });

  it('is a StatefulSet named N-zookeeper behind N-zookeeper-headless, labelled and owned by the cache', () => {
    const sts = desiredZooKeeperStatefulSet(contextFor());
    expect(sts?.metadata.name).to.equal('demo-zookeeper');
    expect(sts?.metadata.namespace).to.equal('shop');
    expect(sts?.metadata.labels?.['app.kubernetes.io/component']).to.equal('zookeeper');
    expect(sts?.metadata.ownerReferences?.[0]).to.deep.include(OWNER);
    expect(sts?.spec?.serviceName).to.equal('demo-zookeeper-headless');
    expect(sts?.spec?.template.metadata?.labels).to.deep.include(sts?.spec?.selector.matchLabels);
  });

  it('starts members together (none is ready before a quorum) and deletes their claims with the set', () => {
    const spec = desiredZooKeeperStatefulSet(contextFor())?.spec;
    expect(spec?.podManagementPolicy).to.equal('Parallel');
    expect(spec?.persistentVolumeClaimRetentionPolicy).to.deep.equal({ whenDeleted: 'Delete', whenScaled: 'Retain' });
  });

  it("derives each member's id from its pod ordinal (hostname N-zookeeper-<ordinal>)", () => {
    const command = zkContainer().command ?? [];
    expect(command.slice(0, 2)).to.deep.equal(['bash', '-c']);
    expect(command[2]).to.include('ZOO_MY_ID=$((${HOSTNAME##*-} + 1))').and.include('exec /docker-entrypoint.sh zkServer.sh start-foreground');
  });

  it('keeps data and transaction logs on a claim of the requested size and class', () => {
    const ctx = contextFor({ zookeeper: { replicas: 3, storage: { size: '5Gi', storageClassName: 'fast' } } });
    const sts = desiredZooKeeperStatefulSet(ctx);
    const claim = sts?.spec?.volumeClaimTemplates?.[0];
    expect(claim?.metadata?.name).to.equal('data');
    expect(claim?.spec).to.deep.equal({ accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '5Gi' } }, storageClassName: 'fast' });
    const container = sts?.spec?.template.spec?.containers[0];
    expect(container?.volumeMounts).to.deep.equal([{ name: 'data', mountPath: '/data' }]);
    expect(envOf(container as V1Container).values['ZOO_DATA_LOG_DIR']).to.equal('/data/log');
  });

  it('probes liveness with ruok and readiness with srvr (serving only inside a quorum), and allows both commands', () => {
    const container = zkContainer(3);
    expect(container.livenessProbe?.exec?.command?.join(' ')).to.include('ruok');
    expect(container.readinessProbe?.exec?.command?.join(' ')).to.include('srvr').and.include('Mode: ');
    expect(envOf(container).values['ZOO_4LW_COMMANDS_WHITELIST']).to.equal('srvr,ruok');
  });

  it('runs as the image user, not root, without privilege escalation', () => {
    const pod = desiredZooKeeperStatefulSet(contextFor())?.spec?.template.spec;
    expect(pod?.securityContext).to.deep.include({ runAsNonRoot: true, runAsUser: 1000, fsGroup: 1000 });
    expect(pod?.containers[0]?.securityContext).to.deep.include({ allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
  });

  it('uses the image from spec.zookeeper.image, else the default', () => {
    expect(zkContainer().image).to.equal('zookeeper:3.9');
    expect(desiredZooKeeperStatefulSet(contextFor({ zookeeper: { image: 'mirror/zookeeper:3.9.4' } }))?.spec?.template.spec?.containers[0]?.image)
      .to.equal('mirror/zookeeper:3.9.4');
  });

  it('rolls the members (new checksum) when the ensemble changes size, and only then', () => {
    const checksum = (replicas: number) =>
      desiredZooKeeperStatefulSet(contextFor({ zookeeper: { replicas } }))?.spec?.template.metadata?.annotations?.[ANNOTATION.configChecksum];
    expect(checksum(1)).to.match(/^[0-9a-f]{16}$/);
    expect(checksum(1)).to.equal(checksum(1));
    expect(checksum(3)).to.not.equal(checksum(1));
  });

  it('publishes members before they are ready on the headless Service, and serves clients on N-zookeeper:2181', () => {
    const ctx = contextFor();
    const headless = desiredZooKeeperHeadlessService(ctx);
    expect(headless?.metadata.name).to.equal('demo-zookeeper-headless');
    expect(headless?.spec).to.deep.include({ clusterIP: 'None', publishNotReadyAddresses: true });
    expect(headless?.spec?.ports?.map((p) => p.port)).to.deep.equal([2181, 2888, 3888]);
    const client = desiredZooKeeperService(ctx);
    expect(client?.metadata.name).to.equal('demo-zookeeper');
    expect(client?.spec?.ports).to.deep.equal([{ name: 'client', port: 2181, targetPort: 'client', protocol: 'TCP' }]);
    expect(client?.spec?.selector).to.deep.equal(desiredZooKeeperStatefulSet(ctx)?.spec?.selector.matchLabels);
  });
});
