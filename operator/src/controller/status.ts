// The ClusterConnect status from what was observed, as a pure function: agent heartbeats (Leases), the
// kube-aad-proxy Deployment, the access bindings and the relay credentials.
import type { ClusterConnect } from '../api/clusterconnect.js';
import { DEFAULT_REPLICAS } from '../desired/defaults.js';
import { setCondition, type Condition, type ConditionInput } from './conditions.js';
import { isLive, type Heartbeat } from './heartbeat.js';


export interface Observed {
  heartbeats: Heartbeat[];
  authProxyAvailableReplicas: number;
  /** undefined when the credentials Secret holds its key; otherwise why not. */
  relayCredentialsProblem?: string;
  /** undefined when every access binding was applied; otherwise what failed. */
  accessProblem?: { reason: string; message: string };
  accessBindingCount: number;
  caBundle: string;
  authProxyServerName: string;
}

export interface ComputedStatus {
  status: {
    observedGeneration?: number;
    conditions: Condition[];
    connectedAgents: number;
    desiredAgents: number;
    agents: string;
    /** The newest renewal seen when the status was last written. Renewals alone do not rewrite the status (as
     *  with a Node's lastHeartbeatTime since node Leases), so while agents stay connected it is refreshed by the
     *  periodic resync; when the last agent drops out it is exact, and that is when the conditions quote it. */
    lastHeartbeatTime?: string;
    caBundle: string;
    authProxyServerName: string;
  };
}

export function computeStatus(cc: ClusterConnect, observed: Observed, now: Date): ComputedStatus {
  const generation = cc.metadata.generation;
  const previous = cc.status?.conditions;
  const desiredAgents = cc.spec.agent?.replicas ?? DEFAULT_REPLICAS;
  const desiredProxies = cc.spec.authProxy?.replicas ?? DEFAULT_REPLICAS;
  const live = observed.heartbeats.filter((h) => isLive(h, now));
  const connectedAgents = live.length;
  const latest = observed.heartbeats.reduce<Date | undefined>((max, h) => (!max || h.renewTime > max ? h.renewTime : max), undefined);
  const lastHeartbeatTime = latest?.toISOString() ?? cc.status?.lastHeartbeatTime;

  const agentConnected: ConditionInput = connectedAgents > 0
    ? { type: 'AgentConnected', status: 'True', reason: 'AgentsConnected', message: `${connectedAgents} of ${desiredAgents} agents connected to ${cc.spec.relay.url}` }
    : {
        type: 'AgentConnected', status: 'False', reason: 'NoAgentConnected',
        message: `no agent is connected to ${cc.spec.relay.url}` + (lastHeartbeatTime ? ` (last heartbeat ${lastHeartbeatTime})` : ' (none has connected yet)'),
      };
  const authProxy: ConditionInput = observed.authProxyAvailableReplicas > 0
    ? { type: 'AuthProxyAvailable', status: 'True', reason: 'MinimumReplicasAvailable', message: `${observed.authProxyAvailableReplicas} of ${desiredProxies} kube-aad-proxy replicas available` }
    : { type: 'AuthProxyAvailable', status: 'False', reason: 'NoReplicasAvailable', message: `0 of ${desiredProxies} kube-aad-proxy replicas available` };
  const access: ConditionInput = observed.accessProblem
    ? { type: 'AccessBindingsApplied', status: 'False', ...observed.accessProblem }
    : { type: 'AccessBindingsApplied', status: 'True', reason: 'Applied', message: `${observed.accessBindingCount} access bindings applied` };

  let ready: ConditionInput;
  if (observed.relayCredentialsProblem) {
    ready = { type: 'Ready', status: 'False', reason: 'RelayCredentialsMissing', message: observed.relayCredentialsProblem };
  } else {
    const failing = [agentConnected, authProxy, access].find((c) => c.status !== 'True');
    ready = failing
      ? { type: 'Ready', status: 'False', reason: failing.reason, message: failing.message }
      : { type: 'Ready', status: 'True', reason: 'Connected', message: `reachable as ${cc.spec.clusterName} through ${cc.spec.relay.url}` };
  }
  const conditions = [ready, agentConnected, authProxy, access].map((c) => setCondition(previous, c, generation, now));
  return {
    status: {
      observedGeneration: generation,
      conditions,
      connectedAgents,
      desiredAgents,
      agents: `${connectedAgents}/${desiredAgents}`,
      ...(lastHeartbeatTime ? { lastHeartbeatTime } : {}),
      caBundle: observed.caBundle,
      authProxyServerName: observed.authProxyServerName,
    },
  };
}
