// Prints the CRD YAML: `node dist/operator/api/print-crd.js > crds/cache.distributed.dev_distributedcaches.yaml`.
import { distributedCacheCrdYaml } from './crd.js';

process.stdout.write(distributedCacheCrdYaml());
