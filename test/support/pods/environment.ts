// A container's environment as the kubelet builds it: literal values, fieldRefs, Secret and ConfigMap keys, the
// in-cluster apiserver variables, and $(VAR) expansion in args.
import type { V1Pod } from '@kubernetes/client-node';
import { kubectlOk } from '../cluster.js';
import { fieldValue } from './materialize.js';

async function keyOf(kind: 'secret' | 'configmap', namespace: string, name: string, key: string): Promise<string> {
  const object = JSON.parse(await kubectlOk(['get', kind, name, '-n', namespace, '-o', 'json'])) as { data?: Record<string, string> };
  const value = object.data?.[key];
  if (value === undefined) throw new Error(`${kind} ${namespace}/${name} has no key ${key}`);
  return kind === 'secret' ? Buffer.from(value, 'base64').toString('utf8') : value;
}

export async function containerEnvironment(pod: V1Pod, apiserver: { host: string; port: number }): Promise<Record<string, string>> {
  const namespace = pod.metadata?.namespace ?? '';
  const env: Record<string, string> = {
    KUBERNETES_SERVICE_HOST: apiserver.host,
    KUBERNETES_SERVICE_PORT: String(apiserver.port),
    HOSTNAME: pod.metadata?.name ?? '',
  };
  for (const variable of pod.spec?.containers[0]?.env ?? []) {
    const from = variable.valueFrom;
    if (variable.value !== undefined) env[variable.name] = expand(variable.value, env);
    else if (from?.fieldRef) env[variable.name] = fieldValue(pod, from.fieldRef.fieldPath);
    else if (from?.secretKeyRef) env[variable.name] = await keyOf('secret', namespace, from.secretKeyRef.name ?? '', from.secretKeyRef.key);
    else if (from?.configMapKeyRef) env[variable.name] = await keyOf('configmap', namespace, from.configMapKeyRef.name ?? '', from.configMapKeyRef.key);
  }
  return env;
}

/** Kubernetes' $(VAR) expansion: known variables are replaced, $$ escapes, unknown references stay as written. */
export function expand(text: string, env: Record<string, string>): string {
  return text.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (match, name?: string) => {
    if (match === '$$') return '$';
    return name !== undefined && name in env ? env[name]! : match;
  });
}
