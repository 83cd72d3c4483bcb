// The committed operator/api/generated/kubernetes-schemas.ts is what
// hack/gen-k8s-schemas.sh makes from this control plane's OpenAPI: the
// schemas in the CRD are the real ones of the pinned Kubernetes version.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { kubectl } from '../../support/control-plane.js';
import { repoPath } from '../../support/operator-repo.js';
import type { OpenApiDocument } from '../../../hack/k8s-schemas/inline-schema.js';
import { GENERATED_FILE, renderKubernetesSchemas } from '../../../hack/k8s-schemas/render.js';

describe('operator API: the Kubernetes schemas it adopts, against a real API server', function () {
  it(`${GENERATED_FILE} is what the API server's /openapi/v3/api/v1 generates (run hack/gen-k8s-schemas.sh)`, async function () {
    const version = (JSON.parse(await kubectl(['get', '--raw', '/version'])) as { gitVersion: string }).gitVersion;
    const doc = JSON.parse(await kubectl(['get', '--raw', '/openapi/v3/api/v1'])) as OpenApiDocument;
    expect(readFileSync(repoPath(GENERATED_FILE), 'utf8')).to.equal(renderKubernetesSchemas(doc, version));
  });
});
