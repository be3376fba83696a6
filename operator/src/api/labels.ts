// Labels on every child, so any child maps back to its ClusterConnect (cluster-scoped ones have no owner reference).
export const FIELD_MANAGER = 'clusterconnect-operator';
export const FINALIZER = 'clusterconnect.io/cleanup';

export const LABEL_MANAGED_BY = 'app.kubernetes.io/managed-by';
export const LABEL_PART_OF = 'app.kubernetes.io/part-of';
export const LABEL_COMPONENT = 'app.kubernetes.io/component';
export const LABEL_INSTANCE = 'app.kubernetes.io/instance';
export const LABEL_OWNER_NAME = 'clusterconnect.io/name';
export const LABEL_OWNER_NAMESPACE = 'clusterconnect.io/namespace';
export const LABEL_ACCESS_BINDING = 'clusterconnect.io/access-binding';

export const MANAGED_BY = 'clusterconnect-operator';

export type Component = 'agent' | 'kube-aad-proxy' | 'access' | 'agent-heartbeat';

export function childLabels(owner: { name: string; namespace: string }, component: Component): Record<string, string> {
  return {
    ...ownerLabels(owner, component),
    [LABEL_PART_OF]: 'clusterconnect',
    [LABEL_INSTANCE]: owner.name,
  };
}

/** The labels every child of one ClusterConnect (optionally of one component) carries. */
export function ownerLabels(owner: { name: string; namespace: string }, component?: Component): Record<string, string> {
  return {
    [LABEL_MANAGED_BY]: MANAGED_BY,
    [LABEL_OWNER_NAMESPACE]: owner.namespace,
    [LABEL_OWNER_NAME]: owner.name,
    ...(component ? { [LABEL_COMPONENT]: component } : {}),
  };
}

/** Label selector of every child of one ClusterConnect (optionally of one component). */
export function ownerSelector(owner: { name: string; namespace: string }, component?: Component): string {
  return Object.entries(ownerLabels(owner, component)).map(([k, v]) => `${k}=${v}`).join(',');
}

/** Whether `labels` carry every one of `wanted` (an equality label selector, evaluated locally on cached objects). */
export function hasLabels(labels: Record<string, string> | undefined, wanted: Record<string, string>): boolean {
  return Object.entries(wanted).every(([k, v]) => labels?.[k] === v);
}

/** The ClusterConnect a labelled child belongs to, as a queue key, if it is ours. */
export function ownerKeyFromLabels(labels: Record<string, string> | undefined): string | undefined {
  if (!labels || labels[LABEL_MANAGED_BY] !== MANAGED_BY) return undefined;
  const name = labels[LABEL_OWNER_NAME];
  const namespace = labels[LABEL_OWNER_NAMESPACE];
  return name && namespace ? `${namespace}/${name}` : undefined;
}
