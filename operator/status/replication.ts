// Whether every key has its R copies, read from the server Deployment alone
// (docs/operator.md, "Replicated"). A server is ready only while it sees no
// member leaving, no hand-off running or pending and ZooKeeper reachable, so
// "every server ready, none terminating" is the servers' own word that the
// keys are replicated; the operator never scans keys. Pure.
import type { V1Deployment } from '@kubernetes/client-node';

export interface ReplicationReport {
  replicated: boolean;
  reason: string;
  message: string;
}

const notReplicated = (reason: string, message: string): ReplicationReport => ({ replicated: false, reason, message });

export function serverReplication(deployment: V1Deployment | undefined): ReplicationReport {
  if (deployment === undefined) return notReplicated('NoServerDeployment', 'the server Deployment does not exist yet');
  const wanted = deployment.spec?.replicas ?? 1;
  const status = deployment.status ?? {};
  if (wanted === 0) return notReplicated('NoServers', 'no servers hold keys');
  if ((status.observedGeneration ?? 0) < (deployment.metadata?.generation ?? 0)) {
    return notReplicated('RollingOut', 'the Deployment controller has not acted on the server Deployment\'s latest change yet');
  }
  // status.terminatingReplicas: Kubernetes 1.35 and later (an older API server leaves it out).
  const terminating = status.terminatingReplicas ?? 0;
  if (terminating > 0) {
    return notReplicated('ServersLeaving', `${terminating} server${terminating === 1 ? ' is' : 's are'} shutting down and handing keys off`);
  }
  const updated = status.updatedReplicas ?? 0;
  if (updated < wanted) return notReplicated('RollingOut', `${updated}/${wanted} servers run the current pod template`);
  const running = status.replicas ?? 0;
  if (running !== wanted) return notReplicated('Scaling', `${running} server pods, ${wanted} wanted`);
  const ready = status.readyReplicas ?? 0;
  if (ready < wanted) {
    return notReplicated('HandOffRunning', `${ready}/${wanted} servers report every key replicated; the others are receiving keys, seeing a hand-off, or not running`);
  }
  return { replicated: true, reason: 'AllCopies', message: `all ${wanted} servers report a settled ring and no hand-off: every key has its copies` };
}
