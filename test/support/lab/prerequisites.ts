// What a lab needs on the machine (README "Tests", "Network lab"): root, and
// iproute2 and iptables, which hack/ensure-prereqs.sh installs. CI has all three.
import { spawnSync } from 'node:child_process';

/** Why a lab cannot be built here, or undefined when it can. */
export function labUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'it must run as root (network namespaces and iptables)';
  for (const command of ['ip', 'iptables']) {
    if (spawnSync(command, ['-V'], { stdio: 'ignore' }).error) return `\`${command}\` is missing (hack/ensure-prereqs.sh installs it)`;
  }
  return undefined;
}

/** For a suite's before(): skips it, loudly, when the lab cannot be built. */
export function skipWithoutLab(context: Mocha.Context, what: string): void {
  const reason = labUnavailable();
  if (reason === undefined) return;
  console.warn(`      SKIPPED ${what}: the network lab cannot be built, ${reason}`);
  context.skip();
}
