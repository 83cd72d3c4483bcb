// The operator process's settings (docs/operator.md, "The operator process"), from its
// environment. Pure: main passes in what it read from the machine.
import { LOG_LEVELS, type LogLevel } from '../dataplane/config/contract.js';

export interface OperatorConfig {
  /** Undefined: every namespace. */
  watchNamespaces: readonly string[] | undefined;
  leaderElectionNamespace: string;
  healthPort: number;
  dataplaneImage: string;
  logLevel: LogLevel;
}

export const SETTINGS = {
  watchNamespace: { env: 'WATCH_NAMESPACE', describe: 'comma-separated namespaces to watch (default: all)' },
  leaderElectionNamespace: {
    env: 'LEADER_ELECTION_NAMESPACE',
    describe: `where the leader Lease lives (default: the pod's namespace, else distributed-cache-system)`,
  },
  healthPort: { env: 'HEALTH_PORT', describe: 'serves /healthz, /readyz and /metrics (default 8081)' },
  dataplaneImage: { env: 'DATAPLANE_IMAGE', describe: "image for caches that leave spec.image empty (default: the release's own)" },
  logLevel: { env: 'LOG_LEVEL', describe: `pino level: ${LOG_LEVELS.join(', ')} (default info)` },
} as const;

export const DEFAULT_LEADER_ELECTION_NAMESPACE = 'distributed-cache-system';
export const DEFAULT_HEALTH_PORT = 8081;
export const LEASE_NAME = 'distributed-cache-operator';
/** The image this release is published as; its tag is the package version. */
export const RELEASE_IMAGE_REPOSITORY = 'distributed-cache';

/** The --help text, from the same table. */
export function usage(): string {
  const lines = ['usage: node dist/operator/main.js', '', 'Settings are environment variables:', ''];
  for (const setting of Object.values(SETTINGS)) lines.push(`  ${setting.env.padEnd(27)} ${setting.describe}`);
  lines.push('', 'It connects with KUBECONFIG, else ~/.kube/config, else the pod\'s service account.');
  return lines.join('\n');
}

/** A setting that cannot be used; the message names it. */
export class OperatorConfigError extends Error {
  constructor(readonly setting: string, detail: string) {
    super(`invalid ${setting}: ${detail}`);
    this.name = 'OperatorConfigError';
  }
}

export interface Machine {
  /** The namespace the process runs in (a pod's service account namespace), if any. */
  podNamespace?: string;
  /** The package version, which tags the release image. */
  version: string;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export function parseOperatorConfig(env: Readonly<Record<string, string | undefined>>, machine: Machine): OperatorConfig {
  const value = (name: keyof typeof SETTINGS): string | undefined => {
    const text = env[SETTINGS[name].env]?.trim();
    return text === '' ? undefined : text;
  };

  const watchText = value('watchNamespace');
  const watchNamespaces = watchText?.split(',').map((ns) => ns.trim()).filter((ns) => ns !== '');
  for (const ns of watchNamespaces ?? []) {
    if (!DNS_LABEL.test(ns)) throw new OperatorConfigError(SETTINGS.watchNamespace.env, `"${ns}" is not a namespace name`);
  }

  const leaderElectionNamespace = value('leaderElectionNamespace') ?? machine.podNamespace ?? DEFAULT_LEADER_ELECTION_NAMESPACE;
  if (!DNS_LABEL.test(leaderElectionNamespace)) {
    throw new OperatorConfigError(SETTINGS.leaderElectionNamespace.env, `"${leaderElectionNamespace}" is not a namespace name`);
  }

  const portText = value('healthPort');
  let healthPort = DEFAULT_HEALTH_PORT;
  if (portText !== undefined) {
    if (!/^\d+$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) {
      throw new OperatorConfigError(SETTINGS.healthPort.env, `"${portText}" is not a port (1-65535)`);
    }
    healthPort = Number(portText);
  }

  const dataplaneImage = value('dataplaneImage') ?? `${RELEASE_IMAGE_REPOSITORY}:${machine.version}`;
  if (/\s/.test(dataplaneImage)) throw new OperatorConfigError(SETTINGS.dataplaneImage.env, `"${dataplaneImage}" is not an image reference`);

  const level = value('logLevel') ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new OperatorConfigError(SETTINGS.logLevel.env, `"${level}" is not one of ${LOG_LEVELS.join(', ')}`);
  }

  return {
    watchNamespaces: watchNamespaces !== undefined && watchNamespaces.length > 0 ? watchNamespaces : undefined,
    leaderElectionNamespace,
    healthPort,
    dataplaneImage,
    logLevel: level as LogLevel,
  };
}
