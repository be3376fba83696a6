// spec.access → RBAC bindings: what the seeds do by hand with `kubectl create clusterrolebinding … --user=<objectId>`.
// A clusterRole without namespace is granted cluster-wide; with namespace (or a role), only in that namespace.
import type { RbacV1Subject, V1ClusterRoleBinding, V1RoleBinding } from '@kubernetes/client-node';
import type { AccessBinding, ClusterConnect } from '../api/clusterconnect.js';
import { LABEL_ACCESS_BINDING } from '../api/labels.js';
import { labelledMeta } from './meta.js';
import { childNames } from './names.js';

const RBAC = 'rbac.authorization.k8s.io';

function accessSubjects(binding: AccessBinding): RbacV1Subject[] {
  const subjects: RbacV1Subject[] = [];
  for (const user of binding.users ?? []) subjects.push({ kind: 'User', apiGroup: RBAC, name: user });
  for (const group of binding.groups ?? []) subjects.push({ kind: 'Group', apiGroup: RBAC, name: group });
  for (const sa of binding.serviceAccounts ?? []) {
    const slash = sa.indexOf('/');
    // Always namespace/name: a bare name would silently bind a service account of whichever namespace we guessed.
    if (slash <= 0 || slash === sa.length - 1) throw new Error(`access binding ${binding.name}: service account "${sa}" must be namespace/name`);
    subjects.push({ kind: 'ServiceAccount', namespace: sa.slice(0, slash), name: sa.slice(slash + 1) });
  }
  return subjects;
}

export type AccessObject = ({ kind: 'ClusterRoleBinding' } & V1ClusterRoleBinding) | ({ kind: 'RoleBinding' } & V1RoleBinding);

function accessBindingObject(cc: ClusterConnect, binding: AccessBinding): AccessObject {
  const name = childNames(cc).accessBinding(binding.name);
  const labels = { [LABEL_ACCESS_BINDING]: binding.name };
  const subjects = accessSubjects(binding);
  if (binding.clusterRole && !binding.namespace) {
    return {
      apiVersion: `${RBAC}/v1`,
      kind: 'ClusterRoleBinding',
      metadata: labelledMeta(cc, name, 'access', undefined, labels),
      roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: binding.clusterRole },
      subjects,
    };
  }
  const roleRef = binding.role
    ? { apiGroup: RBAC, kind: 'Role', name: binding.role }
    : { apiGroup: RBAC, kind: 'ClusterRole', name: binding.clusterRole ?? '' };
  return {
    apiVersion: `${RBAC}/v1`,
    kind: 'RoleBinding',
    metadata: labelledMeta(cc, name, 'access', binding.namespace, labels),
    roleRef,
    subjects,
  };
}

export function accessBindingObjects(cc: ClusterConnect): AccessObject[] {
  return (cc.spec.access ?? []).map((binding) => accessBindingObject(cc, binding));
}
