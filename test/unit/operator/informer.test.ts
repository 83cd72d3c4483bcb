// The informer against a small fake API server on loopback: list, then watch;
// a 410 Gone (the resourceVersion is too old) means list again, and listeners
// hear about every difference; the failures of a kind that is not served (a
// removed CRD) reach onFailure, and stop() ends the retries. (The client
// against a real API server is test/integration/operator/kube-client.test.ts.)
import { expect } from 'chai';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { pino } from 'pino';
import { Informer, type InformerEvent } from '../../../operator/controller/informer.js';
import { isNotFound } from '../../../operator/kube/api-error.js';
import { KubeClient, type KubeObject } from '../../../operator/kube/client.js';
import { resourceType } from '../../../operator/kube/resource-types.js';
import { waitFor } from '../../support/wait.js';

const service = (name: string, resourceVersion: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: 'shop', resourceVersion },
});

/** Starts a fake API server on loopback and returns a client of it. */
async function clientOf(server: Server): Promise<KubeClient> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const kubeConfig = new KubeConfig();
  const cluster = { name: 'fake', server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, skipTLSVerify: true };
  kubeConfig.loadFromOptions({ clusters: [cluster], users: [{ name: 'u', token: 't' }], contexts: [{ name: 'c', cluster: 'fake', user: 'u' }], currentContext: 'c' });
  return new KubeClient(kubeConfig);
}

describe('operator controller: informer', () => {
  let server: Server;
  let client: KubeClient;
  // [name, resourceVersion] of what each list returns.
  const lists: Array<Array<[string, string]>> = [
    [['a', '10'], ['b', '10']],
    [['a', '11'], ['c', '15']],
  ];
  const requests: string[] = [];
  const openWatches: ServerResponse[] = [];

  before(async () => {
    let listed = 0;
    let watched = 0;
    server = createServer((request, response) => {
      const url = new URL(request.url ?? '/', 'http://x');
      response.setHeader('content-type', 'application/json');
      if (url.pathname === '/api/v1') {
        // Discovery: where the client library finds the kind's path.
        response.end(JSON.stringify({ kind: 'APIResourceList', groupVersion: 'v1', resources: [{ name: 'services', kind: 'Service', namespaced: true, singularName: 'service', verbs: ['list', 'watch'] }] }));
        return;
      }
      requests.push(`${url.searchParams.get('watch') === 'true' ? 'watch' : 'list'} ${url.searchParams.get('resourceVersion') ?? ''}`.trim());
      if (url.searchParams.get('watch') !== 'true') {
        const items = lists[Math.min(listed++, lists.length - 1)] ?? [];
        response.end(JSON.stringify({ items: items.map(([n, rv]) => ({ metadata: service(n, rv).metadata })), metadata: { resourceVersion: String(10 * listed) } }));
        return;
      }
      if (watched++ === 0) {
        // One change, then the server has compacted past us.
        response.write(`${JSON.stringify({ type: 'MODIFIED', object: service('a', '11') })}\n`);
        response.end(`${JSON.stringify({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired', message: 'too old resource version' } })}\n`);
        return;
      }
      openWatches.push(response); // held open until the informer stops
      response.write(`${JSON.stringify({ type: 'ADDED', object: service('d', '21') })}\n`);
    });
    client = await clientOf(server);
  });

  after(async () => {
    for (const response of openWatches) response.destroy();
    client.close();
    await new Promise((resolve) => server.close(resolve));
  });

  it('lists, watches, lists again after 410 Gone, and reports each difference once', async () => {
    const informer = new Informer<KubeObject>({ client, type: resourceType('Service'), logger: pino({ level: 'silent' }) });
    const heard: string[] = [];
    informer.onChange((event: InformerEvent, object) => heard.push(`${event} ${object.metadata.name}`));
    await informer.start();
    expect(informer.synced).to.equal(true);
    expect(heard).to.deep.equal(['added a', 'added b']);
    await waitFor('the watch after the relist to deliver d', () => heard.includes('added d'), { timeoutMs: 5_000 });
    await informer.stop();
    // The relist returned a (as the watch last saw it), c (new), and not b (gone).
    expect(heard).to.deep.equal(['added a', 'added b', 'modified a', 'deleted b', 'added c', 'added d']);
    expect(informer.list().map((o) => o.metadata.name).sort()).to.deep.equal(['a', 'c', 'd']);
    expect(informer.get('shop', 'a')?.kind).to.equal('Service');
    expect(requests).to.deep.equal(['list', 'watch 10', 'list', 'watch 20']);
  });
});

describe('operator controller: informer on a kind that is not served', () => {
  let server: Server;
  let client: KubeClient;
  let lists = 0;

  before(async () => {
    server = createServer((request, response) => {
      const url = new URL(request.url ?? '/', 'http://x');
      response.setHeader('content-type', 'application/json');
      if (url.pathname === '/api/v1') {
        response.end(JSON.stringify({ kind: 'APIResourceList', groupVersion: 'v1', resources: [{ name: 'services', kind: 'Service', namespaced: true, singularName: 'service', verbs: ['list', 'watch'] }] }));
        return;
      }
      // As for a custom resource whose CRD was removed.
      lists++;
      response.statusCode = 404;
      response.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404, message: 'the server could not find the requested resource' }));
    });
    client = await clientOf(server);
  });

  after(async () => {
    client.close();
    await new Promise((resolve) => server.close(resolve));
  });

  it('tells onFailure of each failed list, and once stopped is not synced and lists no more', async () => {
    const failures: boolean[] = [];
    const informer = new Informer<KubeObject>({
      client,
      type: resourceType('Service'),
      logger: pino({ level: 'silent' }),
      onFailure: (error) => failures.push(isNotFound(error)),
    });
    const started = informer.start();
    try {
      await waitFor('a failed list', () => failures.length > 0, { timeoutMs: 5_000 });
    } finally {
      // Else its retries would keep mocha from exiting when the wait fails.
      await informer.stop();
    }
    await started;
    expect(failures.every((notFound) => notFound), 'each failure is the 404').to.equal(true);
    expect(informer.synced, 'no list worked, so the copy is not complete').to.equal(false);
    const listed = lists;
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    expect(lists, 'no retry after stop').to.equal(listed);
  });
});
