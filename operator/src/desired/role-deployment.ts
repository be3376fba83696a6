// The Deployment shape both roles share: restricted pod security, spread over nodes, probes on the ops port,
// and rollouts that keep every ready replica until its replacement is up.
import type { V1ContainerPort, V1Deployment, V1EnvVar, V1ResourceRequirements, V1Volume, V1VolumeMount } from '@kubernetes/client-node';
import type { ClusterConnect, ResourceRequirements } from '../api/clusterconnect.js';
import { LABEL_COMPONENT, LABEL_INSTANCE, childLabels, type Component } from '../api/labels.js';
import { DEFAULT_REPLICAS, OPS_PORT, type OperatorSettings } from './defaults.js';
import { ownedMeta } from './meta.js';
import { CONTAINER_SECURITY_CONTEXT, POD_SECURITY_CONTEXT, preferSpreadAcrossNodes } from './pod-security.js';
import { toResourceRequirements } from './resources.js';

interface RoleDeploymentSpec {
  name: string;
  component: Extract<Component, 'agent' | 'kube-aad-proxy'>;
  containerName: string;
  serviceAccountName: string;
  replicas?: number;
  image?: string;
  args: string[];
  env?: V1EnvVar[];
  /** Ports besides `ops` (which carries /healthz, /readyz and /metrics). */
  ports?: V1ContainerPort[];
  resources?: ResourceRequirements;
  defaultResources: V1ResourceRequirements;
  volumes: V1Volume[];
  mounts: V1VolumeMount[];
  terminationGracePeriodSeconds: number;
}

export function roleSelector(cc: ClusterConnect, component: RoleDeploymentSpec['component']): Record<string, string> {
  return { [LABEL_INSTANCE]: cc.metadata.name, [LABEL_COMPONENT]: component };
}

export function roleDeployment(cc: ClusterConnect, settings: OperatorSettings, role: RoleDeploymentSpec): V1Deployment {
  const selector = roleSelector(cc, role.component);
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: ownedMeta(cc, role.name, role.component),
    spec: {
      replicas: role.replicas ?? DEFAULT_REPLICAS,
      selector: { matchLabels: selector },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      template: {
        metadata: { labels: childLabels(cc.metadata, role.component) },
        spec: {
          serviceAccountName: role.serviceAccountName,
          securityContext: POD_SECURITY_CONTEXT,
          affinity: preferSpreadAcrossNodes(selector),
          terminationGracePeriodSeconds: role.terminationGracePeriodSeconds,
          volumes: role.volumes,
          containers: [
            {
              name: role.containerName,
              image: role.image ?? settings.image,
              imagePullPolicy: settings.imagePullPolicy ?? 'IfNotPresent',
              args: role.args,
              ...(role.env ? { env: role.env } : {}),
              ports: [...(role.ports ?? []), { name: 'ops', containerPort: OPS_PORT }],
              livenessProbe: { httpGet: { path: '/healthz', port: 'ops' }, periodSeconds: 10, failureThreshold: 3 },
              readinessProbe: { httpGet: { path: '/readyz', port: 'ops' }, periodSeconds: 5, failureThreshold: 2 },
              resources: toResourceRequirements(role.resources) ?? role.defaultResources,
              securityContext: CONTAINER_SECURITY_CONTEXT,
              volumeMounts: role.mounts,
            },
          ],
        },
      },
    },
  };
}
