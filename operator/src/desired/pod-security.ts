// The restricted Pod Security profile, for every pod the operator creates: non-root, read-only root filesystem,
// no capabilities, no privilege escalation, the runtime's default seccomp profile.
import type { V1PodSecurityContext, V1SecurityContext } from '@kubernetes/client-node';

export const POD_SECURITY_CONTEXT: V1PodSecurityContext = {
  runAsNonRoot: true,
  runAsUser: 65532,
  runAsGroup: 65532,
  seccompProfile: { type: 'RuntimeDefault' },
};

export const CONTAINER_SECURITY_CONTEXT: V1SecurityContext = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ['ALL'] },
};

/** Spreads replicas over nodes when it can, without blocking scheduling when it cannot. */
export function preferSpreadAcrossNodes(matchLabels: Record<string, string>) {
  return {
    podAntiAffinity: {
      preferredDuringSchedulingIgnoredDuringExecution: [
        { weight: 100, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels } } },
      ],
    },
  };
}
