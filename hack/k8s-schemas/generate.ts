// Reads the OpenAPI v3 document of core/v1 on stdin and prints the generated
// module: `kubectl get --raw /openapi/v3/api/v1 | node dist/hack/k8s-schemas/generate.js v1.37.2`.
// hack/gen-k8s-schemas.sh runs it against the test control plane.
import { text } from 'node:stream/consumers';
import type { OpenApiDocument } from './inline-schema.js';
import { renderKubernetesSchemas } from './render.js';

const version = process.argv[2];
if (version === undefined || !/^v\d+\.\d+\.\d+/.test(version)) {
  process.stderr.write('usage: generate.js KUBERNETES_VERSION < openapi-v3-api-v1.json\n');
  process.exit(2);
}
const doc = JSON.parse(await text(process.stdin)) as OpenApiDocument;
process.stdout.write(renderKubernetesSchemas(doc, version));
