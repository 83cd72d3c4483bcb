// The Secrets a cache's spec names, which the user makes and the operator only
// mounts: the client tokens (spec.auth.secretRef) and the TLS pair
// (spec.tls.secretName). A router pod cannot start without them, so the
// status says when one is missing (status/status.ts).
import type { ResolvedSpec } from '../api/defaults.js';

export interface UserSecret {
  /** The spec field that names it, for messages. */
  field: string;
  name: string;
}

export function userSecretsOf(spec: ResolvedSpec): UserSecret[] {
  const secrets: UserSecret[] = [];
  if (spec.clientTokensSecret !== undefined) secrets.push({ field: 'spec.auth.secretRef.name', name: spec.clientTokensSecret });
  if (spec.tlsSecret !== undefined) secrets.push({ field: 'spec.tls.secretName', name: spec.tlsSecret });
  return secrets;
}
