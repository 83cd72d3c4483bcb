// The operator as `make deploy` installs it (manifests/ through kustomize,
// server-side apply), with only the image renamed, for the end-to-end suites.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { kubectl } from './kubectl.js';

export const IMAGE = process.env['E2E_IMAGE'] ?? 'distributed-cache:e2e';
export const ZOOKEEPER_IMAGE = process.env['E2E_ZOOKEEPER_IMAGE'] ?? 'zookeeper:3.9';
export const OPERATOR_NAMESPACE = 'distributed-cache-system';
const MANIFESTS = resolve('manifests');

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

export interface DeployedOperator {
  /** Deletes what deployOperator applied (the CRD with it, so every cache goes too), and waits until it is gone. */
  remove(): Promise<void>;
}

/** Applies the operator's manifests and waits for its CRD; the operator's pod may still be starting. */
export async function deployOperator(): Promise<DeployedOperator> {
  if ((process.env['KUBECONFIG'] ?? '') === '') throw new Error('KUBECONFIG is not set: run this suite with `make e2e`');
  const overlayDir = await mkdtemp(join(tmpdir(), 'dcache-e2e-deploy-'));
  await writeOverlay(overlayDir);
  await kubectl(['apply', '--server-side', '-k', overlayDir]);
  await kubectl(['wait', '--for=condition=Established', 'crd/distributedcaches.cache.distributed.dev', '--timeout=60s']);
  return {
    async remove() {
      // Waits, so that a suite deploying it next does not meet its namespace still terminating.
      await kubectl(['delete', '-k', overlayDir, '--ignore-not-found', '--timeout=180s']).catch((error: unknown) => {
        console.log(`      could not delete the operator's manifests: ${(error as Error).message}`);
      });
      await rm(overlayDir, { recursive: true, force: true });
    },
  };
}
