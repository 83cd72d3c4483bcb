// Stages 2 and 3 of the end-to-end suite: our images run, and the cache
// works. Deploys the operator the way `make deploy` does (manifests/ through
// kustomize, server-side apply), with only the image renamed, then a small
// cache, and waits for `kubectl wait --for=condition=Ready dcache/NAME`.
//
// Runs against whatever cluster KUBECONFIG names, with kubectl on PATH.
// The images must already be on the node (`make e2e` imports them; on kind,
// `kind load docker-image`), as pods use IfNotPresent:
//   E2E_IMAGE            the project image (default distributed-cache:e2e)
//   E2E_ZOOKEEPER_IMAGE  a ZooKeeper image (default zookeeper:3.9, the operator's own default)
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { selectorString } from '../../operator/resources/names.js';

const run = promisify(execFile);
const IMAGE = process.env['E2E_IMAGE'] ?? 'distributed-cache:e2e';
const ZOOKEEPER_IMAGE = process.env['E2E_ZOOKEEPER_IMAGE'] ?? 'zookeeper:3.9';
const MANIFESTS = resolve('manifests');
const OPERATOR_NAMESPACE = 'distributed-cache-system';
const CACHE = 'e2e';
const KEYS = 10_000;

async function kubectl(args: string[], stdin?: string): Promise<string> {
  const child = run('kubectl', args, { maxBuffer: 16 * 2 ** 20 });
  if (stdin !== undefined) child.child.stdin?.end(stdin);
  return (await child).stdout;
}

/** `make deploy`, with the image renamed: a kustomize overlay on manifests/. */
async function writeOverlay(dir: string): Promise<void> {
  const [name, tag] = splitImage(IMAGE);
  // The base's replacement copied its own image into DATAPLANE_IMAGE; copy the renamed one again.
  const overlay = {
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    // kustomize takes only a relative path to a base.
    resources: [relative(dir, MANIFESTS)],
    images: [{ name: 'distributed-cache', newName: name, newTag: tag }],
    // One operator is enough here; leader election is tested elsewhere.
    replicas: [{ name: 'distributed-cache-operator', count: 1 }],
    replacements: [
      {
        source: { kind: 'Deployment', name: 'distributed-cache-operator', fieldPath: 'spec.template.spec.containers.[name=operator].image' },
        targets: [
          {
            select: { kind: 'Deployment', name: 'distributed-cache-operator' },
            fieldPaths: ['spec.template.spec.containers.[name=operator].env.[name=DATAPLANE_IMAGE].value'],
          },
        ],
      },
    ],
  };
  await writeFile(join(dir, 'kustomization.yaml'), JSON.stringify(overlay, null, 2));
}

function splitImage(image: string): [string, string] {
  const colon = image.lastIndexOf(':');
  if (colon <= image.lastIndexOf('/')) return [image, 'latest'];
  return [image.slice(0, colon), image.slice(colon + 1)];
}

/** A small cache: 1 ZooKeeper member, 3 servers, 1 router, R=2. */
function sample(namespace: string): object {
  return {
    apiVersion: 'cache.distributed.dev/v1alpha1',
    kind: 'DistributedCache',
    metadata: { name: CACHE, namespace },
    spec: {
      replicationFactor: 2,
      servers: { replicas: 3, maxMemory: '64Mi', resources: { requests: { cpu: '50m', memory: '192Mi' }, limits: { memory: '192Mi' } } },
      clients: { replicas: 1, resources: { requests: { cpu: '50m', memory: '128Mi' }, limits: { memory: '192Mi' } } },
      zookeeper: { replicas: 1, image: ZOOKEEPER_IMAGE, storage: { size: '1Gi' } },
    },
  };
}

describe('e2e: the operator and a cache run from our images', function () {
  let overlayDir: string;
  let namespace: string;

  before(async function () {
    if ((process.env['KUBECONFIG'] ?? '') === '') throw new Error('KUBECONFIG is not set: run this suite with `make e2e`');
    overlayDir = await mkdtemp(join(tmpdir(), 'dcache-e2e-deploy-'));
    await writeOverlay(overlayDir);
    await kubectl(['apply', '--server-side', '-k', overlayDir]);
    await kubectl(['wait', '--for=condition=Established', 'crd/distributedcaches.cache.distributed.dev', '--timeout=60s']);
    namespace = `e2e-cache-${Date.now()}`;
    await kubectl(['create', 'namespace', namespace]);
  });

  after(async function () {
    if (namespace !== undefined) await kubectl(['delete', 'namespace', namespace, '--wait=false']).catch(() => undefined);
    if (overlayDir !== undefined) {
      await kubectl(['delete', '-k', overlayDir, '--wait=false', '--ignore-not-found']).catch(() => undefined);
      await rm(overlayDir, { recursive: true, force: true });
    }
  });

  it('runs the operator as a pod from the project image', async function () {
    await kubectl(['-n', OPERATOR_NAMESPACE, 'rollout', 'status', 'deployment/distributed-cache-operator', '--timeout=180s']);
    const images = await kubectl([
      '-n', OPERATOR_NAMESPACE, 'get', 'pods', '-l', 'app.kubernetes.io/name=distributed-cache-operator',
      '-o', 'jsonpath={.items[*].spec.containers[*].image}',
    ]);
    expect(images.split(' ')).to.deep.equal([IMAGE]);
  });

  it('runs ZooKeeper from the ZooKeeper image, and the servers and router from the project image', async function () {
    await kubectl(['apply', '--server-side', '-f', '-'], JSON.stringify(sample(namespace)));
    const ready = (component: 'zookeeper' | 'server' | 'client') =>
      kubectl(['-n', namespace, 'wait', '--for=condition=Ready', 'pod', '-l', selectorString(CACHE, component), '--timeout=240s']);
    // The pods exist only once the operator has reconciled.
    for (const component of ['zookeeper', 'server', 'client'] as const) {
      for (let i = 0; ; i++) {
        const names = await kubectl(['-n', namespace, 'get', 'pods', '-l', selectorString(CACHE, component), '-o', 'name']);
        if (names.trim() !== '') break;
        if (i > 240) throw new Error(`no ${component} pods after 120 s`);
        await new Promise((done) => setTimeout(done, 500));
      }
    }
    await ready('zookeeper');
    const images = await kubectl(['-n', namespace, 'get', 'pods', '-o', 'jsonpath={range .items[*]}{.spec.containers[0].image}{"\\n"}{end}']);
    expect(new Set(images.trim().split('\n'))).to.deep.equal(new Set([IMAGE, ZOOKEEPER_IMAGE]));
  });

  it('makes the cache Ready (kubectl wait --for=condition=Ready dcache)', async function () {
    await kubectl(['-n', namespace, 'wait', '--for=condition=Ready', `dcache/${CACHE}`, '--timeout=240s']);
  });

  it(`stores ${KEYS} keys through the client Service (POST /api/post) and reads them all back (GET /api/get)`, async function () {
    const forward = await portForward(namespace, `svc/${CACHE}-client`, 5000);
    try {
      const base = `http://127.0.0.1:${forward.port}`;
      const value = (i: number) => `value-${i}-${namespace}`;
      await inParallel(KEYS, async (i) => {
        const response = await fetch(`${base}/api/post?key=key-${i}&value=${value(i)}`, { method: 'POST' });
        expect(response.status, `POST key-${i}`).to.equal(200);
        await response.text();
      });
      const misses: number[] = [];
      await inParallel(KEYS, async (i) => {
        const response = await fetch(`${base}/api/get/key-${i}`);
        const body = await response.text();
        if (response.status !== 200 || body !== value(i)) misses.push(i);
      });
      expect(misses, 'keys missing or stale').to.deep.equal([]);
    } finally {
      forward.stop();
    }
  });
});

/** Runs task(0..count-1), a few at a time. */
async function inParallel(count: number, task: (i: number) => Promise<void>, width = 16): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < count) await task(next++);
    }),
  );
}

/**
 * `kubectl port-forward` to a local port of its choosing: the one way to
 * reach a Service that works from inside this node's namespace and from a
 * kind user's shell alike.
 */
async function portForward(namespace: string, target: string, port: number): Promise<{ port: number; stop: () => void }> {
  const child = spawn('kubectl', ['-n', namespace, 'port-forward', target, `:${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  const local = await new Promise<number>((done, fail) => {
    let seen = '';
    const timer = setTimeout(() => fail(new Error(`kubectl port-forward ${target}: no port after 30 s: ${seen}`)), 30_000);
    const read = (chunk: Buffer) => {
      seen += chunk.toString();
      const match = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(seen);
      if (match !== null) {
        clearTimeout(timer);
        done(Number(match[1]));
      }
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    child.on('exit', (code) => fail(new Error(`kubectl port-forward ${target} exited (${code}): ${seen}`)));
  });
  return { port: local, stop: () => child.kill() };
}
