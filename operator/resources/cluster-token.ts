// The cluster token's Secret, and how the data plane pods read it. The
// operator creates the Secret once, with a random token, and never writes it
// again: server-side apply on every resync would replace a rotated token
// (README "Security" has the rotation steps), so it is not among the applied
// children. Pods read it as a file that they re-read, so a rotation needs no restart.
import { randomBytes } from 'node:crypto';
import type { V1Volume, V1VolumeMount } from '@kubernetes/client-node';
import type { Secret } from './child-kinds.js';
import { childMetadata, type CacheContext } from './context.js';

/** The Secret's key: the current token on its first line, the previous one on an optional second. */
export const CLUSTER_TOKEN_KEY = 'token';
export const CLUSTER_TOKEN_VOLUME = 'cluster-token';
export const CLUSTER_TOKEN_MOUNT_DIR = '/etc/distributed-cache/cluster-token';
export const CLUSTER_TOKEN_FILE_PATH = `${CLUSTER_TOKEN_MOUNT_DIR}/${CLUSTER_TOKEN_KEY}`;
/** Readable by the pod's group (its fsGroup), which the data plane's user is in; by no one else. */
const TOKEN_FILE_MODE = 0o440;

/** 32 random bytes, base64url: printable, no spaces, as the data plane requires. */
export function newClusterToken(): string {
  return randomBytes(32).toString('base64url');
}

export function desiredClusterTokenSecret(ctx: CacheContext, token: string): Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    // Labelled as the servers' (the component that checks it); owned by the cache, so deleted with it.
    metadata: childMetadata(ctx, ctx.names.clusterToken, 'server'),
    type: 'Opaque',
    stringData: { [CLUSTER_TOKEN_KEY]: `${token}\n` },
  };
}

export function clusterTokenVolume(ctx: CacheContext): V1Volume {
  return { name: CLUSTER_TOKEN_VOLUME, secret: { secretName: ctx.names.clusterToken, defaultMode: TOKEN_FILE_MODE } };
}

export const CLUSTER_TOKEN_VOLUME_MOUNT: V1VolumeMount = { name: CLUSTER_TOKEN_VOLUME, mountPath: CLUSTER_TOKEN_MOUNT_DIR, readOnly: true };
