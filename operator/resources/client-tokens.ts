// Client authentication (spec.auth.secretRef): the user's Secret of bearer
// tokens, mounted into router pods only, which read CLIENT_TOKENS_FILE and
// re-read it, so tokens are added and revoked with no restart. The operator
// never reads or writes this Secret; a router pod does not start without it.
import type { V1Volume, V1VolumeMount } from '@kubernetes/client-node';

/** The Secret's key: one token per line (README "Security"). */
export const CLIENT_TOKENS_KEY = 'tokens';
export const CLIENT_TOKENS_VOLUME = 'client-tokens';
export const CLIENT_TOKENS_MOUNT_DIR = '/etc/distributed-cache/client-tokens';
export const CLIENT_TOKENS_FILE_PATH = `${CLIENT_TOKENS_MOUNT_DIR}/${CLIENT_TOKENS_KEY}`;
/** Readable by the pod's group (its fsGroup), which the data plane's user is in; by no one else. */
const TOKENS_FILE_MODE = 0o440;

export function clientTokensVolume(secretName: string): V1Volume {
  return {
    name: CLIENT_TOKENS_VOLUME,
    secret: { secretName, items: [{ key: CLIENT_TOKENS_KEY, path: CLIENT_TOKENS_KEY }], defaultMode: TOKENS_FILE_MODE },
  };
}

export const CLIENT_TOKENS_VOLUME_MOUNT: V1VolumeMount = { name: CLIENT_TOKENS_VOLUME, mountPath: CLIENT_TOKENS_MOUNT_DIR, readOnly: true };
