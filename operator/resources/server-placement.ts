// Which placement the servers run with (their PLACEMENT), as a pure function of
// what the spec asks for and of the server and router Deployments as they are.
// Routers of releases before placement compute a key's owners by the old rule
// (that of `none`) and register nowhere, so no server can tell they are there:
// the operator holds the servers at `none` until every router runs a template
// this release rendered. docs/operator.md "Zones".
import type { V1Deployment, V1PodSpec } from '@kubernetes/client-node';
import { SETTINGS, type Role } from '../../dataplane/config/contract.js';
import { PLACEMENT_MODES, type PlacementMode } from '../api/distributed-cache.js';
import { ANNOTATION } from './names.js';

const SERVER_CONTAINER: Role = 'server';

/** On every router pod template this release renders: its routers follow the placement servers advertise. */
export const PLACEMENT_AWARE_MARK = { [ANNOTATION.placementAware]: 'true' } as const;

/**
 * The PLACEMENT a server pod (or pod template) runs with. None when it sets
 * none: a server of a release before placement advertises none, and one
 * rendered by such an operator is of that release.
 */
export function placementOf(pod: V1PodSpec | undefined): PlacementMode {
  const container = pod?.containers.find((c) => c.name === SERVER_CONTAINER);
  const value = container?.env?.find((variable) => variable.name === SETTINGS.placement.env)?.value;
  return PLACEMENT_MODES.find((mode) => mode === value) ?? 'none';
}

/** Whether every router runs a template of this release, and if not, what is still missing. */
export interface RouterFleet {
  follow: boolean;
  message: string;
}

/**
 * Every router pod runs a template with PLACEMENT_AWARE_MARK: the client
 * Deployment's template carries it, the Deployment controller has seen that
 * template, and every router is updated and available with none terminating
 * (status.terminatingReplicas: Kubernetes 1.35 and later). No Deployment: no
 * router runs, and the first ones will be of this release.
 */
export function routerFleet(routers: V1Deployment | undefined): RouterFleet {
  if (routers === undefined) return { follow: true, message: 'no router runs yet' };
  const marked = routers.spec?.template?.metadata?.annotations?.[ANNOTATION.placementAware] === PLACEMENT_AWARE_MARK[ANNOTATION.placementAware];
  if (!marked) return { follow: false, message: "the client Deployment's template is an earlier release's" };
  const status = routers.status ?? {};
  if ((status.observedGeneration ?? 0) < (routers.metadata?.generation ?? 0)) {
    return { follow: false, message: "the Deployment controller has not acted on the client Deployment's latest template yet" };
  }
  const replicas = status.replicas ?? 0;
  const updated = status.updatedReplicas ?? 0;
  const available = status.availableReplicas ?? 0;
  const terminating = status.terminatingReplicas ?? 0;
  if (updated !== replicas || available !== replicas || terminating > 0) {
    return {
      follow: false,
      message: `${updated}/${replicas} routers run this release's template, ${available} available${terminating > 0 ? `, ${terminating} terminating` : ''}`,
    };
  }
  return { follow: true, message: `all ${replicas} routers run this release's template` };
}

export interface PlacementDecision {
  /** spec.servers.placement. */
  wanted: PlacementMode;
  /** The PLACEMENT the server pod template gets. */
  rendered: PlacementMode;
  /** Why `rendered` is weaker than `wanted`; undefined when they are equal. */
  heldBack?: string;
}

/**
 * What the servers run with: `wanted`, or `none` while a router of an earlier
 * release may still run. A weaker placement applies at once. Once the server
 * template carries a placement other than none, it keeps following the spec:
 * every router was of this release then, and this release renders none other,
 * so a later router rollout (of a TLS change, say) does not send the servers
 * back to none and their keys around the ring twice.
 */
export function serverPlacement(wanted: PlacementMode, servers: V1Deployment | undefined, routers: V1Deployment | undefined): PlacementDecision {
  if (wanted === 'none') return { wanted, rendered: wanted };
  if (servers !== undefined && placementOf(servers.spec?.template?.spec) !== 'none') return { wanted, rendered: wanted };
  const fleet = routerFleet(routers);
  if (fleet.follow) return { wanted, rendered: wanted };
  return {
    wanted,
    rendered: 'none',
    heldBack: `servers run placement none until every router runs this operator's release, whose routers follow placement ${wanted} (${fleet.message})`,
  };
}
