// The Kubernetes API's timestamp forms (pure: status/ and kube/ both write them).

/** metav1.Time: RFC 3339 in seconds. */
export function timestamp(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

/** metav1.MicroTime (Leases, Events): RFC 3339 with exactly six fractional digits. */
export function microTime(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
