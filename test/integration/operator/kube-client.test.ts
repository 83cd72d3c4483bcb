// The operator's KubeClient (a thin layer over @kubernetes/client-node)
// against a real API server: objects stay in their wire form both ways, the
// library's errors become KubeApiError with the API server's reason and
// message, and a refused watch is a KubeApiError too. (410 Gone from a watch
// is in test/unit/operator/informer.test.ts: a young API server's watch cache
// replays from any resourceVersion rather than answer 410.)
import { expect } from 'chai';
import { API_VERSION, KIND } from '../../../operator/api/distributed-cache.js';
import { isConflict, isNotFound, KubeApiError } from '../../../operator/kube/api-error.js';
import { KubeClient, type KubeObject, type WatchEvent } from '../../../operator/kube/client.js';
import { resourceType, type ResourceType } from '../../../operator/kube/resource-types.js';
import { FIELD_MANAGER } from '../../../operator/resources/names.js';
import { adminKubeConfig, createTestNamespace, deleteTestNamespace, kubectl } from '../../support/control-plane.js';
import { installOperator } from '../../support/operator-cluster.js';

interface Policy extends KubeObject {
  spec: { podSelector: object; policyTypes: string[]; ingress: Array<{ from?: unknown[]; ports: unknown[] }> };
}

describe('operator: KubeClient on a real API server', function () {
  let namespace: string;
  let client: KubeClient;
  const requests: string[] = [];
  const policies = resourceType('NetworkPolicy');
  const configMaps: ResourceType = { apiVersion: 'v1', kind: 'ConfigMap', plural: 'configmaps', namespaced: true };

  const policy = (name: string): Policy => ({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name, namespace },
    spec: {
      podSelector: { matchLabels: { app: name } },
      policyTypes: ['Ingress'],
      ingress: [{ from: [{ podSelector: { matchLabels: { role: 'client' } } }], ports: [{ protocol: 'TCP', port: 5000 }] }],
    },
  });

  before(async function () {
    await installOperator();
    namespace = await createTestNamespace('dcache-kube-client');
    client = new KubeClient(adminKubeConfig());
    client.observer = (verb, resource, code) => requests.push(`${verb} ${resource} ${code}`);
  });

  after(async function () {
    client?.close();
    if (namespace !== undefined) await deleteTestNamespace(namespace);
  });

  describe('server-side apply', function () {
    it('creates, then updates, and says which it did', async function () {
      const first = await client.apply<Policy>(policy('sample'));
      expect(first.created).to.equal(true);
      const second = await client.apply<Policy>(policy('sample'));
      expect(second.created).to.equal(false);
      expect(requests).to.include.members(['PATCH networkpolicies 201', 'PATCH networkpolicies 200']);
    });

    it('sends and returns the wire form: a rule keeps its `from`, timestamps stay strings', async function () {
      const { object } = await client.apply<Policy>(policy('wire'));
      expect(object.spec.ingress[0]?.from).to.deep.equal([{ podSelector: { matchLabels: { role: 'client' } } }]);
      expect(object.metadata.creationTimestamp).to.be.a('string');
      // As the API server stores it, read by kubectl rather than by the library.
      const stored = JSON.parse(await kubectl(['get', 'networkpolicy', 'wire', '-n', namespace, '-o', 'json', '--show-managed-fields'])) as Policy;
      expect(stored.spec.ingress).to.deep.equal(policy('wire').spec.ingress);
      const managers = (stored.metadata as { managedFields?: Array<{ manager: string; operation: string }> }).managedFields ?? [];
      expect(managers.some((m) => m.manager === FIELD_MANAGER && m.operation === 'Apply')).to.equal(true);
      const read = await client.get<Policy>(policies, namespace, 'wire');
      expect(read?.spec.ingress[0]?.from).to.deep.equal(stored.spec.ingress[0]?.from);
      const listed = await client.list<Policy>(policies, { namespace });
      expect(listed.items.map((item) => item.metadata.name)).to.include('wire');
      expect(listed.items.find((item) => item.metadata.name === 'wire')?.metadata.creationTimestamp).to.be.a('string');
    });

    it('writes a custom resource status through its subresource', async function () {
      const cache = { apiVersion: API_VERSION, kind: KIND, metadata: { name: 'statused', namespace }, spec: {} };
      await client.create(resourceType(KIND), namespace, cache);
      await client.applyStatus({ apiVersion: API_VERSION, kind: KIND, metadata: { name: 'statused', namespace }, status: { observedGeneration: 1 } });
      const read = await client.get<{ status?: { observedGeneration?: number } }>(resourceType(KIND), namespace, 'statused');
      expect(read?.status?.observedGeneration).to.equal(1);
    });

    it('reports a status for a cache that is gone as NotFound', async function () {
      const error = await client
        .applyStatus({ apiVersion: API_VERSION, kind: KIND, metadata: { name: 'missing', namespace }, status: { observedGeneration: 1 } })
        .catch((e: unknown) => e);
      expect(isNotFound(error)).to.equal(true);
    });
  });

  describe('errors', function () {
    it('maps AlreadyExists to a KubeApiError with the verb, path and the API server message', async function () {
      const body = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'twice', namespace }, data: { a: '1' } };
      await client.create(configMaps, namespace, body);
      const error = await client.create(configMaps, namespace, body).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(KubeApiError);
      expect(isConflict(error)).to.equal(true);
      expect(error).to.include({ code: 409, reason: 'AlreadyExists', verb: 'POST', path: `/api/v1/namespaces/${namespace}/configmaps` });
      expect((error as KubeApiError).detail).to.equal('configmaps "twice" already exists');
    });

    it('maps a stale resourceVersion on replace to Conflict', async function () {
      const current = await client.get<KubeObject>(configMaps, namespace, 'twice');
      const stale = { ...current, metadata: { ...current?.metadata, resourceVersion: '1' }, data: { a: '2' } };
      const error = await client.replace(configMaps, namespace, 'twice', stale).catch((e: unknown) => e);
      expect(isConflict(error)).to.equal(true);
      expect(error).to.include({ code: 409, reason: 'Conflict', verb: 'PUT' });
    });

    it('answers undefined for a missing object, and deletes what is missing without complaint', async function () {
      expect(await client.get(configMaps, namespace, 'nothing')).to.equal(undefined);
      await client.delete(configMaps, namespace, 'nothing');
    });

    it('refuses a delete whose uid precondition does not match', async function () {
      const error = await client.delete(configMaps, namespace, 'twice', '00000000-0000-0000-0000-000000000000').catch((e: unknown) => e);
      expect(isConflict(error)).to.equal(true);
      expect((error as KubeApiError).detail).to.match(/^Operation cannot be fulfilled on .*"twice"/);
    });

    it('tells served kinds from kinds nobody installed', async function () {
      expect(await client.serves('apps/v1', 'Deployment')).to.equal(true);
      expect(await client.serves('apps/v1', 'Nothing')).to.equal(false);
      expect(await client.serves('nothing.example.com/v1', 'Nothing')).to.equal(false);
    });
  });

  describe('watch', function () {
    it('delivers events from a resourceVersion until aborted', async function () {
      const list = await client.list<KubeObject>(configMaps, { namespace });
      const seen: Array<WatchEvent<KubeObject>> = [];
      const stop = new AbortController();
      const watching = client.watch<KubeObject>(
        configMaps,
        { namespace, resourceVersion: list.metadata.resourceVersion ?? '', timeoutSeconds: 60 },
        (event) => {
          seen.push(event);
          if (event.object.metadata.name === 'watched') stop.abort();
        },
        stop.signal,
      );
      await client.create(configMaps, namespace, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'watched', namespace } });
      await watching;
      expect(seen.map((e) => `${e.type} ${e.object.metadata.name}`)).to.include('ADDED watched');
    });

    it('rejects with the HTTP status when the API server refuses the watch', async function () {
      const unknown: ResourceType = { apiVersion: 'nothing.example.com/v1', kind: 'Nothing', plural: 'nothings', namespaced: true };
      const error = await client.watch(unknown, { namespace, resourceVersion: '', timeoutSeconds: 30 }, () => undefined, new AbortController().signal).catch((e: unknown) => e);
      expect(isNotFound(error), String(error)).to.equal(true);
    });
  });
});
