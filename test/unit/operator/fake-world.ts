// An apiserver and a watch cache for reconciler tests: every client call is recorded, Secrets and the ClusterConnect
// live on the "server", and the cache holds only what a test puts there (a watch that has or has not caught up).
import { ApiException, type KubernetesObject, type V1Secret } from '@kubernetes/client-node';
import type { ClusterConnect } from '../../../operator/src/api/clusterconnect.js';
import { storeCache, type ObjectStore, type WatchedKind } from '../../../operator/src/controller/cache.js';
import type { KubeClients } from '../../../operator/src/controller/kube.js';

class MemoryStore implements ObjectStore {
  readonly objects = new Map<string, KubernetesObject>();
  get(name: string, namespace?: string) {
    return this.objects.get(`${namespace ?? ''}/${name}`);
  }
  list(namespace?: string) {
    return [...this.objects.values()].filter((o) => namespace === undefined || o.metadata?.namespace === namespace);
  }
}

const KINDS: Record<string, WatchedKind> = {
  ClusterConnect: 'clusterconnects', Deployment: 'deployments', Service: 'services', ServiceAccount: 'serviceaccounts', ConfigMap: 'configmaps',
  Secret: 'secrets', RoleBinding: 'rolebindings', ClusterRoleBinding: 'clusterrolebindings', Lease: 'leases',
};

const notFound = () => new ApiException(404, 'not found', '{"message":"not found"}', {});

export class FakeWorld {
  readonly calls: string[] = [];
  readonly applied: KubernetesObject[] = [];
  readonly statusWrites: Record<string, unknown>[] = [];
  /** Events created, as type and reason. */
  readonly events: { type: string; reason: string }[] = [];
  liveClusterConnect?: ClusterConnect;
  readonly liveSecrets = new Map<string, V1Secret>();
  private readonly stores = new Map<WatchedKind, MemoryStore>(Object.values(KINDS).map((k) => [k, new MemoryStore()]));
  readonly cache = storeCache(this.stores);
  readonly clients: KubeClients;

  constructor() {
    const handlers: Record<string, (args: Record<string, unknown>) => unknown> = {
      'core.readNamespacedSecret': (a) => {
        const found = this.liveSecrets.get(a.name as string);
        if (!found) throw notFound();
        return found;
      },
      'custom.getNamespacedCustomObject': () => {
        if (!this.liveClusterConnect) throw notFound();
        return this.liveClusterConnect;
      },
      // Each write moves the live object's resourceVersion, and the answer is the object after it, as an apiserver's.
      'custom.patchNamespacedCustomObjectStatus': (a) => {
        const status = (a.body as { status: Record<string, unknown> }).status;
        this.statusWrites.push(status);
        if (!this.liveClusterConnect) throw notFound();
        const live = this.liveClusterConnect;
        this.liveClusterConnect = { ...live, metadata: { ...live.metadata, resourceVersion: String(Number(live.metadata.resourceVersion ?? 0) + 1) }, status };
        return this.liveClusterConnect;
      },
      'core.createNamespacedEvent': (a) => {
        const { type, reason } = a.body as { type: string; reason: string };
        this.events.push({ type, reason });
        return a.body;
      },
      'objects.patch': (object) => {
        const obj = object as unknown as KubernetesObject;
        this.applied.push(obj);
        if (obj.kind === 'Secret') this.liveSecrets.set(obj.metadata?.name ?? '', obj);
        return obj;
      },
    };
    const api = (name: string) => new Proxy({}, {
      get: (_target, method) => (args: Record<string, unknown>): Promise<unknown> => {
        const call = `${name}.${String(method)}`;
        this.calls.push(call);
        const handler = handlers[call] ?? (() => (String(method).startsWith('list') ? { items: [] } : {}));
        try {
          return Promise.resolve(handler(args));
        } catch (err) {
          return Promise.reject(err instanceof Error ? err : new Error(String(err)));
        }
      },
    });
    this.clients = {
      config: undefined, objects: api('objects'), core: api('core'), apps: api('apps'), rbac: api('rbac'), coordination: api('coordination'), custom: api('custom'),
    } as unknown as KubeClients;
  }

  /** What a watch delivers: the object lands in the cache. */
  put(object: KubernetesObject): void {
    const kind = KINDS[object.kind ?? ''];
    if (!kind) throw new Error(`not watched: ${object.kind}`);
    this.stores.get(kind)!.objects.set(`${object.metadata?.namespace ?? ''}/${object.metadata?.name ?? ''}`, object);
  }

  /** What the ClusterConnect watch delivers after a write: the live object lands in the cache. */
  deliverClusterConnect(): void {
    if (this.liveClusterConnect) this.put(this.liveClusterConnect);
  }

  /** Reads (get, read, list) the apiserver answered since `from`. */
  reads(from = 0): string[] {
    return this.calls.slice(from).filter((c) => /\.(get|read|list)/.test(c));
  }
}
