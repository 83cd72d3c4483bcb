// Which labels and annotations of a DistributedCache its children carry too
// (docs/operator.md, "Labels and annotations on children"). Only the
// children's own metadata: pod templates take spec.<tier>.podLabels and
// podAnnotations, so that relabelling a cache never rolls its pods.
import { LABEL } from './names.js';

/**
 * Labels every child gets from its cache without being asked:
 * app.kubernetes.io/part-of names the larger application, which the children
 * are as much a part of as the cache is.
 */
export const ALWAYS_PROPAGATED_LABELS: readonly string[] = ['app.kubernetes.io/part-of'];

/**
 * Keys never copied, whatever the lists say: the operator's own labels (its
 * selectors depend on them), its annotations, kubectl's (last-applied holds
 * the cache's own manifest) and Helm's release ownership, which would make
 * Helm treat the children as part of a release.
 */
const NEVER_PROPAGATED_PREFIXES: readonly string[] = ['cache.distributed.dev/', 'kubectl.kubernetes.io/', 'meta.helm.sh/'];
const NEVER_PROPAGATED_KEYS: ReadonlySet<string> = new Set(Object.values(LABEL));

/** An entry ending in `/` matches every key under that prefix; any other entry matches one key exactly. */
export function keyMatches(key: string, entry: string): boolean {
  return entry.endsWith('/') ? key.startsWith(entry) : key === entry;
}

function propagatable(key: string): boolean {
  return !NEVER_PROPAGATED_KEYS.has(key) && !NEVER_PROPAGATED_PREFIXES.some((prefix) => key.startsWith(prefix));
}

/** The entries of `source` whose keys match one of `entries` and may be propagated. */
export function propagatedEntries(source: Record<string, string> | undefined, entries: readonly string[]): Record<string, string> {
  return Object.fromEntries(
    Object.entries(source ?? {}).filter(([key]) => propagatable(key) && entries.some((entry) => keyMatches(key, entry))),
  );
}
