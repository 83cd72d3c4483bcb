// spec.monitoring on a real control plane, with the operator running as its
// own ServiceAccount: without the PodMonitor CRD the cache says so in
// MonitoringReady and is otherwise reconciled as usual; once a CRD of that
// group, version and kind is installed (our own minimal one, test/support/
// pod-monitor-crd.ts) the PodMonitor appears with no restart of the operator,
// and from then on the operator watches PodMonitors: one deleted or edited by
// hand is put back within seconds; turning monitoring off removes it; removing
// the CRD stops the watch, and installing it again starts it again.
import { readFile } from 'node:fs/promises';
import { expect } from 'chai';
import type { DistributedCache } from '../../../operator/api/distributed-cache.js';
import { MISSING_POD_MONITOR_CRD_RECHECK_MS } from '../../../operator/reconcile/reconciler.js';
import { createTestNamespace, deleteTestNamespace } from '../../support/control-plane.js';
import { Admin, installOperator, operatorKubeconfig } from '../../support/operator-cluster.js';
import { OperatorProcess } from '../../support/operator-process.js';
import { deletePodMonitor, installPodMonitorCrd, patchPodMonitorSpec, readPodMonitor, removePodMonitorCrd } from '../../support/pod-monitor-crd.js';
import { waitFor } from '../../support/wait.js';

const IMAGE = 'registry.invalid/distributed-cache:it';
const QUICK = { timeoutMs: 30_000, intervalMs: 200 };
/** Nothing tells the operator of a new CRD: it looks again after MISSING_POD_MONITOR_CRD_RECHECK_MS. */
const RECHECK = { timeoutMs: MISSING_POD_MONITOR_CRD_RECHECK_MS * 3 + 15_000, intervalMs: 250 };
/**
 * A watch event's reconcile, on a loaded machine: well under the recheck above
 * and the 10-minute resync, which is all a PodMonitor read only at reconcile
 * time would wait for.
 */
const WATCHED = { timeoutMs: 10_000, intervalMs: 200 };
const NAME = 'watched';
const API_REQUESTS = 'dcache_operator_api_requests_total';
const STARTED_WATCHING = 'PodMonitors are served: watching them';
const STOPPED_WATCHING = 'PodMonitors are no longer served: stopped watching them';

const monitoringReady = (cache: DistributedCache) => cache.status?.conditions?.find((c) => c.type === 'MonitoringReady');
const condition = (cache: DistributedCache, type: string) => cache.status?.conditions?.find((c) => c.type === type);

type PodMonitorJson = Record<string, unknown> & { metadata: { uid: string; generation: number }; spec: unknown };

describe('operator: spec.monitoring (a PodMonitor) on a real control plane', function () {
  let namespace: string;
  let admin: Admin;
  let operator: OperatorProcess;

  const cacheWhere = (what: string, test: (cache: DistributedCache) => boolean, options = QUICK) =>
    admin.cacheWhere(namespace, NAME, what, test, options);
  const podMonitor = async () => (await readPodMonitor(namespace, NAME)) as PodMonitorJson | undefined;
  /** How many times the operator has logged that message so far. */
  const logged = async (message: string) =>
    (await readFile(operator.logFile, 'utf8')).split('\n').filter((line) => line.includes(`"msg":"${message}"`)).length;

  /** Deletes the PodMonitor by hand and resolves with the one the operator puts in its place. */
  async function deletedAndPutBack(): Promise<{ before: PodMonitorJson; after: PodMonitorJson }> {
    const before = await waitFor('the PodMonitor', podMonitor, QUICK);
    await deletePodMonitor(namespace, NAME);
    const after = await waitFor('a new PodMonitor in place of the deleted one', async () => {
      const found = await podMonitor();
      return found !== undefined && found.metadata.uid !== before.metadata.uid ? found : undefined;
    }, WATCHED);
    return { before, after };
  }

  /** Edits the PodMonitor's spec by hand and resolves with the one the operator has put right again. */
  async function editedAndPutBack(spec: Record<string, unknown>, options: { timeoutMs: number; intervalMs: number }): Promise<{ before: PodMonitorJson; after: PodMonitorJson }> {
    const before = await waitFor('the PodMonitor', podMonitor, QUICK);
    await patchPodMonitorSpec(namespace, NAME, spec);
    const after = await waitFor('the edit undone', async () => {
      const found = await podMonitor();
      // Two spec changes since: the edit, and the operator's.
      return found !== undefined && found.metadata.generation >= before.metadata.generation + 2 ? found : undefined;
    }, options);
    return { before, after };
  }

  /**
   * The API server starts a new CRD's watch cache a moment after it serves
   * the kind ("storage is (re)initializing"), and a watch begun meanwhile may
   * deliver its events late: once in CI, a deletion 10 s after the fact. Users
   * install the CRD once; before the put-back is timed, an edit only the watch
   * can bring to the operator's notice must have been undone.
   */
  async function watchDelivering(): Promise<void> {
    await editedAndPutBack({ podTargetLabels: ['edited-by-hand'] }, { timeoutMs: 60_000, intervalMs: 200 });
  }

  before(async function () {
    await installOperator();
    // A run cut short may have left it; this file starts from a cluster without it.
    await removePodMonitorCrd();
    namespace = await createTestNamespace('dcache-monitoring');
    admin = new Admin();
    operator = await OperatorProcess.start({ kubeconfig: (await operatorKubeconfig()).path, name: 'monitoring', env: { DATAPLANE_IMAGE: IMAGE } });
    await operator.waitLeading();
    await admin.createCache(namespace, NAME, { servers: { replicas: 1 }, monitoring: { enabled: true } });
  });

  after(async function () {
    this.timeout(120_000);
    await operator?.stop();
    if (namespace !== undefined) await deleteTestNamespace(namespace);
    await removePodMonitorCrd();
  });

  it('without the CRD: MonitoringReady is False (PodMonitorCRDMissing) and says what to do, and the cache is reconciled as usual', async function () {
    const cache = await cacheWhere('MonitoringReady False for the missing CRD', (c) => monitoringReady(c)?.reason === 'PodMonitorCRDMissing');
    expect(monitoringReady(cache)).to.deep.include({ status: 'False' });
    expect(monitoringReady(cache)?.message).to.include('install the Prometheus Operator').and.include('spec.monitoring.enabled');
    await admin.apps.readNamespacedDeployment({ namespace, name: `${NAME}-server` });
    await admin.apps.readNamespacedDeployment({ namespace, name: `${NAME}-client` });
    await admin.apps.readNamespacedStatefulSet({ namespace, name: `${NAME}-zookeeper` });
    // Pods "run" (no kubelets here): the cache becomes Ready, monitoring or not.
    const ready = await waitFor('every pod Ready and the cache with it', async () => {
      await admin.markPodsReady(namespace, `app.kubernetes.io/instance=${NAME}`);
      const now = await admin.readCache(namespace, NAME);
      return condition(now, 'Ready')?.status === 'True' ? now : undefined;
    }, { timeoutMs: 60_000, intervalMs: 500 });
    expect(condition(ready, 'Degraded')).to.deep.include({ status: 'False', reason: 'AsExpected' });
    expect(monitoringReady(ready)?.reason).to.equal('PodMonitorCRDMissing');
    expect(operator.running, 'the operator must not crash').to.equal(true);
  });

  it('creates the PodMonitor once the CRD is installed, with no restart of the operator', async function () {
    this.timeout(RECHECK.timeoutMs + 60_000);
    await installPodMonitorCrd();
    const podMonitor = await waitFor('the PodMonitor', () => readPodMonitor(namespace, NAME), RECHECK);
    const cache = await cacheWhere('MonitoringReady True', (c) => monitoringReady(c)?.status === 'True');
    expect(monitoringReady(cache)?.reason).to.equal('PodMonitorApplied');
    expect(podMonitor['metadata']).to.deep.include({
      ownerReferences: [{ apiVersion: 'cache.distributed.dev/v1alpha1', kind: 'DistributedCache', name: NAME, uid: cache.metadata.uid, controller: true, blockOwnerDeletion: true }],
    });
    expect(podMonitor['spec']).to.deep.equal({
      selector: {
        matchLabels: { 'app.kubernetes.io/name': 'distributed-cache', 'app.kubernetes.io/instance': NAME },
        matchExpressions: [{ key: 'app.kubernetes.io/component', operator: 'In', values: ['server', 'client'] }],
      },
      podMetricsEndpoints: [{ port: 'metrics', path: '/metrics' }],
      podTargetLabels: ['app.kubernetes.io/instance', 'app.kubernetes.io/name'],
    });
    expect(operator.running).to.equal(true);
  });

  it('puts back a PodMonitor deleted by hand within seconds, and asks discovery nothing meanwhile', async function () {
    await watchDelivering();
    const discoveries = await operator.metric(API_REQUESTS, { resource: 'discovery' });
    const { before, after } = await deletedAndPutBack();
    expect(after.spec).to.deep.equal(before.spec);
    expect(await operator.metric(API_REQUESTS, { resource: 'discovery' }), 'PodMonitors are known to be served while watched').to.equal(discoveries);
  });

  it('puts back a PodMonitor edited by hand within seconds', async function () {
    const { before, after } = await editedAndPutBack({ podMetricsEndpoints: [{ port: 'elsewhere', path: '/elsewhere' }] }, WATCHED);
    expect(after.spec).to.deep.equal(before.spec);
    expect(after.metadata.uid).to.equal(before.metadata.uid);
  });

  it('adds an https endpoint on the routers\' metrics port once spec.tls is set', async function () {
    await admin.patchCacheSpec(namespace, NAME, { tls: { secretName: `${NAME}-tls` }, monitoring: { enabled: true, tlsConfig: { caSecret: { name: `${NAME}-tls` } } } });
    const podMonitor = await waitFor('the https endpoint', async () => {
      const found = await readPodMonitor(namespace, NAME);
      const endpoints = (found?.['spec'] as { podMetricsEndpoints?: unknown[] } | undefined)?.podMetricsEndpoints;
      return endpoints?.length === 2 ? found : undefined;
    }, QUICK);
    expect((podMonitor['spec'] as { podMetricsEndpoints: unknown[] }).podMetricsEndpoints[1]).to.deep.equal({
      port: 'metrics-https',
      path: '/metrics',
      scheme: 'https',
      tlsConfig: { ca: { secret: { name: `${NAME}-tls`, key: 'ca.crt' } }, serverName: `${NAME}-client.${namespace}.svc` },
    });
  });

  it('removes the PodMonitor and the condition when monitoring is turned off, and leaves the rest', async function () {
    await admin.patchCacheSpec(namespace, NAME, { monitoring: { enabled: false } });
    await waitFor('the PodMonitor to be gone', async () => (await readPodMonitor(namespace, NAME)) === undefined, QUICK);
    await cacheWhere('no MonitoringReady condition', (c) => monitoringReady(c) === undefined);
    await admin.apps.readNamespacedDeployment({ namespace, name: `${NAME}-server` });
  });

  it('stops watching PodMonitors once the CRD is removed, and watches them again once it is back', async function () {
    this.timeout(2 * RECHECK.timeoutMs + 120_000);
    await admin.patchCacheSpec(namespace, NAME, { monitoring: { enabled: true } });
    await waitFor('the PodMonitor', podMonitor, QUICK);
    expect(await logged(STARTED_WATCHING)).to.equal(1);

    await removePodMonitorCrd();
    await cacheWhere('MonitoringReady False for the missing CRD', (c) => monitoringReady(c)?.reason === 'PodMonitorCRDMissing', RECHECK);
    await waitFor('the operator to stop watching', async () => (await logged(STOPPED_WATCHING)) === 1, QUICK);
    // No failed lists or watches of a kind that is gone: over the next recheck
    // the operator asks discovery, and nothing about PodMonitors.
    const podMonitorRequests = await operator.metric(API_REQUESTS, { resource: 'podmonitors' });
    const discoveries = await operator.metric(API_REQUESTS, { resource: 'discovery' });
    await waitFor('the recheck to ask discovery', async () => (await operator.metric(API_REQUESTS, { resource: 'discovery' })) > discoveries, RECHECK);
    expect(await operator.metric(API_REQUESTS, { resource: 'podmonitors' })).to.equal(podMonitorRequests);
    expect(operator.running).to.equal(true);

    await installPodMonitorCrd();
    await waitFor('the PodMonitor', podMonitor, RECHECK);
    await cacheWhere('MonitoringReady True', (c) => monitoringReady(c)?.status === 'True');
    expect(await logged(STARTED_WATCHING)).to.equal(2);
    await deletedAndPutBack();
  });
});
