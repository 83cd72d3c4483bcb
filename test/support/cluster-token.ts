// The cluster token every test process gets unless a test says otherwise, and
// the header a test sends to call an internal route itself.
import { CLUSTER_TOKEN_HEADER } from '../../dataplane/security/cluster-token.js';

export const TEST_CLUSTER_TOKEN = 'test-cluster-token-0123456789abcdef';

export const clusterTokenHeaders = (token = TEST_CLUSTER_TOKEN): Record<string, string> => ({ [CLUSTER_TOKEN_HEADER]: token });
