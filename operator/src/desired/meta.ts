// Metadata every child shares: labels that map it back to its ClusterConnect and, for namespaced children in the
// same namespace, a controller owner reference so Kubernetes garbage-collects them with it.
import type { V1ObjectMeta, V1OwnerReference } from '@kubernetes/client-node';
import { API_VERSION, KIND, type ClusterConnect } from '../api/clusterconnect.js';
import { childLabels, type Component } from '../api/labels.js';

function ownerReference(cc: ClusterConnect): V1OwnerReference {
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    name: cc.metadata.name,
    uid: cc.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** Metadata of a child in the ClusterConnect's own namespace (owned, garbage-collected with it). */
export function ownedMeta(cc: ClusterConnect, name: string, component: Component, extraLabels: Record<string, string> = {}): V1ObjectMeta {
  return {
    name,
    namespace: cc.metadata.namespace,
    labels: { ...childLabels(cc.metadata, component), ...extraLabels },
    ownerReferences: [ownerReference(cc)],
  };
}

/** Metadata of a cluster-scoped child or one in another namespace: labels only; the finalizer removes it. */
export function labelledMeta(cc: ClusterConnect, name: string, component: Component, namespace?: string, extraLabels: Record<string, string> = {}): V1ObjectMeta {
  return {
    name,
    ...(namespace ? { namespace } : {}),
    labels: { ...childLabels(cc.metadata, component), ...extraLabels },
  };
}
