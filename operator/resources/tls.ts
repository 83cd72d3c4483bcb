// TLS on the public API (spec.tls.secretName): the user's kubernetes.io/tls
// Secret, mounted into router pods only as a directory, so that the kubelet's
// updates reach the files (it swaps a `..data` symlink; a subPath mount would
// never see them) and the router loads a renewed certificate with no restart.
// The operator never reads this Secret; it can only tell whether it exists.
import type { V1Volume, V1VolumeMount } from '@kubernetes/client-node';

/** The keys of a kubernetes.io/tls Secret. */
export const TLS_CERT_KEY = 'tls.crt';
export const TLS_PRIVATE_KEY_KEY = 'tls.key';
export const TLS_VOLUME = 'tls';
export const TLS_MOUNT_DIR = '/etc/distributed-cache/tls';
export const TLS_CERT_FILE_PATH = `${TLS_MOUNT_DIR}/${TLS_CERT_KEY}`;
export const TLS_KEY_FILE_PATH = `${TLS_MOUNT_DIR}/${TLS_PRIVATE_KEY_KEY}`;
/** Readable by the pod's group (its fsGroup), which the data plane's user is in; by no one else. */
const TLS_FILE_MODE = 0o440;

export function tlsVolume(secretName: string): V1Volume {
  return {
    name: TLS_VOLUME,
    secret: {
      secretName,
      // Named keys: a Secret without them leaves the pod waiting to mount it, not a router that fails to start.
      items: [TLS_CERT_KEY, TLS_PRIVATE_KEY_KEY].map((key) => ({ key, path: key })),
      defaultMode: TLS_FILE_MODE,
    },
  };
}

export const TLS_VOLUME_MOUNT: V1VolumeMount = { name: TLS_VOLUME, mountPath: TLS_MOUNT_DIR, readOnly: true };
