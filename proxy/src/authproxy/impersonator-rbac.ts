// The only rights the proxy's service account needs: `impersonate` on users, groups, service accounts, uids and
// the extra keys it sets. Impersonation is fail-open by nature (whatever the proxy forwards runs as the
// impersonated caller), so the account holds nothing else — not even read access. The Helm chart ships this
// ClusterRole (templates/shared-clusterroles.yaml, compared by a unit test) and the operator binds it to each
// ClusterConnect's kube-aad-proxy service account with its own ClusterRoleBinding (operator/src/desired/auth-proxy.ts);
// impersonatorClusterRoleBinding() is that binding's shape for tests and benchmarks that run the proxy without it.
import type { V1ClusterRole, V1ClusterRoleBinding } from '@kubernetes/client-node';

export const DEFAULT_IMPERSONATOR_ROLE = 'clusterconnect-kube-aad-proxy-impersonator';
/** The Impersonate-Extra keys the proxy sets by default (the Entra tenant id; see oidc-config extraClaims). */
export const DEFAULT_EXTRA_KEYS = ['clusterconnect.io/tid'];

export function impersonatorClusterRole(options: { name?: string; extraKeys?: readonly string[] } = {}): V1ClusterRole {
  const extraKeys = options.extraKeys ?? DEFAULT_EXTRA_KEYS;
  const rules: NonNullable<V1ClusterRole['rules']> = [
    { apiGroups: [''], resources: ['users', 'groups', 'serviceaccounts'], verbs: ['impersonate'] },
    // RBAC matches "userextras/<key>" exactly (there is no "userextras/*"), so each key the proxy sets is listed.
    { apiGroups: ['authentication.k8s.io'], resources: ['uids', ...extraKeys.map((key) => `userextras/${key.toLowerCase()}`)], verbs: ['impersonate'] },
  ];
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name: options.name ?? DEFAULT_IMPERSONATOR_ROLE, labels: { 'app.kubernetes.io/name': 'kube-aad-proxy', 'app.kubernetes.io/part-of': 'clusterconnect' } },
    rules,
  };
}

export function impersonatorClusterRoleBinding(serviceAccount: { name: string; namespace: string }, roleName = DEFAULT_IMPERSONATOR_ROLE): V1ClusterRoleBinding {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: roleName, labels: { 'app.kubernetes.io/name': 'kube-aad-proxy', 'app.kubernetes.io/part-of': 'clusterconnect' } },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: roleName },
    subjects: [{ kind: 'ServiceAccount', name: serviceAccount.name, namespace: serviceAccount.namespace }],
  };
}
