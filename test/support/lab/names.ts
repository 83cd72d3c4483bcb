// What a lab is called on the machine. Every lab has a number n (1..254): its
// subnet is 10.213.n.0/24, its link in the root namespace is `dcl<n>`, and
// each of its namespaces is `dcl<n>-<name>`. 10.213/16 is far from the ranges
// Docker, Kubernetes and hack/node.sh (10.10/16, 10.244/16, 10.0.0/24) use.

export const LINK_PREFIX = 'dcl';
/** The root end's link carries the owner's pid here, so a later run can tell a crashed lab from a live one. */
export const OWNER_ALIAS_PREFIX = 'dcache-lab pid=';

export const rootLink = (n: number): string => `${LINK_PREFIX}${n}`;
export const netnsPrefix = (n: number): string => `${LINK_PREFIX}${n}-`;
export const subnetOf = (n: number): string => `10.213.${n}.0/24`;
export const addressIn = (n: number, host: number): string => `10.213.${n}.${host}`;

/** The lab number of a root link or namespace name of ours, if it is one. */
export function labNumberOf(name: string): number | undefined {
  const match = /^dcl(\d{1,3})(-|$)/.exec(name);
  const n = match ? Number(match[1]) : NaN;
  return n >= 1 && n <= 254 ? n : undefined;
}
