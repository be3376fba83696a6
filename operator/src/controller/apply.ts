// Server-side apply with one field manager: the operator owns exactly the fields it sets, and `force` takes them
// back from a hand edit (that is the drift repair).
import { PatchStrategy, setHeaderOptions, type KubernetesObject } from '@kubernetes/client-node';
import { API_VERSION, GROUP, KIND, PLURAL, VERSION, type ClusterConnect } from '../api/clusterconnect.js';
import { FIELD_MANAGER } from '../api/labels.js';
import type { KubeClients } from './kube.js';

export async function applyObject(clients: KubeClients, object: KubernetesObject): Promise<void> {
  await clients.objects.patch(object, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply);
}

/** Returns the resourceVersion the apiserver answered with (the object after our write), if it sent one. */
export async function applyStatus(clients: KubeClients, cc: ClusterConnect, status: object): Promise<string | undefined> {
  const written = (await clients.custom.patchNamespacedCustomObjectStatus(
    {
      group: GROUP,
      version: VERSION,
      plural: PLURAL,
      namespace: cc.metadata.namespace,
      name: cc.metadata.name,
      body: { apiVersion: API_VERSION, kind: KIND, metadata: { name: cc.metadata.name, namespace: cc.metadata.namespace }, status },
      fieldManager: FIELD_MANAGER,
      force: true,
    },
    setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply),
  )) as Partial<ClusterConnect> | undefined;
  return written?.metadata?.resourceVersion;
}

/** Sets or clears our finalizer; applied under its own manager so it never fights the status or other fields. */
export async function applyFinalizer(clients: KubeClients, cc: ClusterConnect, present: boolean, finalizer: string): Promise<void> {
  await clients.objects.patch(
    { apiVersion: API_VERSION, kind: KIND, metadata: { name: cc.metadata.name, namespace: cc.metadata.namespace, finalizers: present ? [finalizer] : [] } },
    undefined, undefined, `${FIELD_MANAGER}-finalizer`, true, PatchStrategy.ServerSideApply,
  );
}
