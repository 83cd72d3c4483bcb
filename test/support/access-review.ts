// Asks the API server's authorizer what a ServiceAccount may do
// (SubjectAccessReview), as `kubectl auth can-i --as` does.
import { AuthorizationV1Api, type V1ResourceAttributes } from '@kubernetes/client-node';
import { adminKubeConfig } from './control-plane.js';

export async function serviceAccountMay(
  account: { namespace: string; name: string },
  attributes: V1ResourceAttributes,
): Promise<boolean> {
  const review = await adminKubeConfig().makeApiClient(AuthorizationV1Api).createSubjectAccessReview({
    body: {
      spec: {
        user: `system:serviceaccount:${account.namespace}:${account.name}`,
        groups: ['system:serviceaccounts', `system:serviceaccounts:${account.namespace}`, 'system:authenticated'],
        resourceAttributes: attributes,
      },
    },
  });
  return review.status?.allowed === true;
}
