// The schema of a NetworkPolicyPeer (networking.k8s.io/v1), as the spec's
// networkPolicy.clientFrom and metricsFrom take it: written out rather than
// left open, so the API server checks what a user writes before the operator
// copies it into a NetworkPolicy.
import { arrayOf, mapOf, object, oneOf, string, type DefaultedOf } from './schema.js';

const MAX_PEERS = 32;

function labelSelector(what: string) {
  return object({
    description: `Selects ${what} by label, as a metav1.LabelSelector; an empty selector selects all.`,
    properties: {
      matchLabels: mapOf(string({ description: 'A label value.' }), { description: 'Labels that must all match.' }),
      matchExpressions: arrayOf(
        object({
          description: 'A label selector requirement.',
          required: ['key', 'operator'],
          properties: {
            key: string({ description: 'The label key.', minLength: 1 }),
            operator: oneOf(['In', 'NotIn', 'Exists', 'DoesNotExist'] as const, { description: 'How the key relates to the values.' }),
            values: arrayOf(string({ description: 'A label value.' }), { description: 'Values for In and NotIn.' }),
          },
        }),
        { description: 'Requirements that must all hold.' },
      ),
    },
  });
}

export const networkPeerSchema = object({
  description: 'Who may connect, as a NetworkPolicyPeer: pods (by podSelector and namespaceSelector) or an ipBlock.',
  properties: {
    podSelector: labelSelector('pods (in the cache namespace unless namespaceSelector is set)'),
    namespaceSelector: labelSelector('namespaces'),
    ipBlock: object({
      description: 'A CIDR range, with exceptions.',
      required: ['cidr'],
      properties: {
        cidr: string({ description: 'An IP range, e.g. 10.0.0.0/8.', minLength: 1 }),
        except: arrayOf(string({ description: 'A CIDR inside cidr.' }), { description: 'Ranges left out of cidr.' }),
      },
    }),
  },
  rules: [
    {
      rule: '!has(self.ipBlock) || (!has(self.podSelector) && !has(self.namespaceSelector))',
      message: 'a peer in spec.networkPolicy sets either ipBlock or podSelector/namespaceSelector, not both',
    },
    {
      rule: 'has(self.ipBlock) || has(self.podSelector) || has(self.namespaceSelector)',
      message: 'a peer in spec.networkPolicy needs podSelector, namespaceSelector or ipBlock',
    },
  ],
});

export function peersOf(description: string) {
  return arrayOf(networkPeerSchema, { description, maxItems: MAX_PEERS });
}

export type NetworkPeer = DefaultedOf<typeof networkPeerSchema>;
