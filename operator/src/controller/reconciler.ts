// One reconcile of one ClusterConnect: level-triggered and idempotent. It reads the world (from the watches' cache,
// see cache.ts), applies the desired children with server-side apply, prunes the optional children the spec no
// longer asks for (access bindings, the relay and OIDC CA ConfigMaps), and writes the status.
import type { KubernetesObject, V1ClusterRoleBinding, V1ConfigMap, V1Deployment, V1RoleBinding, V1Secret } from '@kubernetes/client-node';
import { GROUP, PLURAL, VERSION, parseKey, type ClusterConnect } from '../api/clusterconnect.js';
import { FINALIZER, LABEL_ACCESS_BINDING, ownerLabels, ownerSelector } from '../api/labels.js';
import { accessBindingObjects, type AccessObject } from '../desired/access.js';
import { agentDeployment, agentHeartbeatRoleBinding, agentServiceAccount, relayCaConfigMap } from '../desired/agent.js';
import { authProxyDeployment, authProxyService, authProxyServiceAccount, graphCaConfigMap, impersonatorBinding, oidcCaConfigMap } from '../desired/auth-proxy.js';
import { authProxyDnsNames, caSecret, decodeSecretData, servingCertificateSecret } from '../desired/certificates.js';
import { relayCredentialsKey, type OperatorSettings } from '../desired/defaults.js';
import { childNames } from '../desired/names.js';
import { planPki, type CurrentPki, type PkiPlan } from '../pki/plan.js';
import type { Logger } from '../../../proxy/src/common/logger.js';
import { applyFinalizer, applyObject, applyStatus } from './apply.js';
import type { Cache } from './cache.js';
import { transitions, type Condition } from './conditions.js';
import type { EventRecorder } from './events.js';
import { apiErrorMessage, isForbidden, isNotFound, type KubeClients } from './kube.js';
import { heartbeatOf } from './heartbeat.js';
import { computeStatus, type Observed } from './status.js';
import type { ReconcileResult } from './work-queue.js';

const RESYNC_MS = 5 * 60_000;
/** While the relay credentials Secret is missing, look for it this often (Secrets of users are not watched). */
const MISSING_CREDENTIALS_RECHECK_MS = 10_000;

/** Identifies a binding across both kinds: kind/namespace/name (namespace empty for a ClusterRoleBinding). */
function bindingKey(kind: 'ClusterRoleBinding' | 'RoleBinding', namespace: string | undefined, name: string | undefined): string {
  return `${kind}/${namespace ?? ''}/${name ?? ''}`;
}

export class Reconciler {
  /** Per ClusterConnect key, the resourceVersion our last status write returned; forgotten once it is deleted. */
  private readonly statusWrites = new Map<string, string>();

  constructor(
    private readonly clients: KubeClients,
    private readonly cache: Cache,
    private readonly settings: OperatorSettings,
    private readonly events: EventRecorder,
    private readonly logger: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async reconcile(key: string): Promise<ReconcileResult> {
    const owner = parseKey(key);
    const cc = await this.read(owner);
    if (!cc || cc.metadata.deletionTimestamp) this.statusWrites.delete(key);
    if (!cc) {
      // Deleted without our finalizer (e.g. it was removed by hand): still leave nothing cluster-scoped behind.
      await this.removeUnownedChildren(owner);
      return {};
    }
    if (cc.metadata.deletionTimestamp) {
      await this.removeUnownedChildren(owner);
      if (cc.metadata.finalizers?.includes(FINALIZER)) await applyFinalizer(this.clients, cc, false, FINALIZER);
      this.logger.info('cleaned up after deletion', { clusterconnect: key });
      return {};
    }
    if (!cc.metadata.finalizers?.includes(FINALIZER)) await applyFinalizer(this.clients, cc, true, FINALIZER);

    const credentialsProblem = await this.relayCredentialsProblem(cc);
    const pki = await this.planCertificates(cc);
    for (const object of this.desiredChildren(cc, pki)) await applyObject(this.clients, object);
    await this.pruneCaConfigMaps(cc);
    const access = await this.applyAccess(cc);

    const names = childNames(cc);
    await this.writeStatus(key, cc, {
      heartbeats: this.heartbeats(cc),
      authProxyAvailableReplicas: this.cache.get<V1Deployment>('deployments', cc.metadata.namespace, names.authProxy)?.status?.availableReplicas ?? 0,
      relayCredentialsProblem: credentialsProblem,
      accessProblem: access.problem,
      accessBindingCount: access.count,
      caBundle: pki.ca.certPem,
      authProxyServerName: names.authProxyServerName,
    }, pki);

    // Lease expiry needs no requeue here: the Lease watch enqueues when a heartbeat runs out (lease-liveness.ts).
    const delays = [RESYNC_MS, pki.nextCheck.getTime() - this.now().getTime()];
    if (credentialsProblem) delays.push(MISSING_CREDENTIALS_RECHECK_MS);
    return { requeueAfterMs: Math.max(1_000, Math.min(...delays)) };
  }

  /** From the cache. One missing there is confirmed live: its absence makes the reconcile delete its bindings,
   *  and the ClusterConnect watch may not have delivered a new one yet when a child's event names it. */
  private async read(owner: { namespace: string; name: string }): Promise<ClusterConnect | undefined> {
    return this.cache.get<ClusterConnect>('clusterconnects', owner.namespace, owner.name) ?? this.readLive(owner);
  }

  private async readLive(owner: { namespace: string; name: string }): Promise<ClusterConnect | undefined> {
    try {
      return (await this.clients.custom.getNamespacedCustomObject({ group: GROUP, version: VERSION, plural: PLURAL, ...owner })) as ClusterConnect;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /** Compares the status it computes with the one our last write left, for lastTransitionTime and the Events. The
   *  cache trails our own writes: unless the ClusterConnect it holds is the one our last status write returned (same
   *  resourceVersion), that write may be missing from it, so the status is read live (also before this process's
   *  first write for a ClusterConnect). Whether a transition shows against the cache says nothing: a rerun that
   *  computes what a stale cache holds would otherwise undo our last write with an old lastTransitionTime and no Event. */
  private async writeStatus(key: string, cached: ClusterConnect, observed: Observed, pki: PkiPlan): Promise<void> {
    let cc = cached;
    const written = this.statusWrites.get(key);
    if (written === undefined || written !== cached.metadata.resourceVersion) {
      const live = await this.readLive({ namespace: cc.metadata.namespace, name: cc.metadata.name });
      if (live) cc = { ...cc, status: live.status };
    }
    const computed = computeStatus(cc, observed, this.now());
    const resourceVersion = await applyStatus(this.clients, cc, computed.status);
    if (resourceVersion) this.statusWrites.set(key, resourceVersion);
    else this.statusWrites.delete(key);
    await this.recordTransitions(cc, computed.status.conditions, pki);
  }

  private desiredChildren(cc: ClusterConnect, pki: PkiPlan): KubernetesObject[] {
    const caConfigMaps = [relayCaConfigMap(cc), oidcCaConfigMap(cc), graphCaConfigMap(cc)].filter((c) => c !== undefined);
    return [
      ...caConfigMaps,
      agentServiceAccount(cc),
      agentHeartbeatRoleBinding(cc),
      authProxyServiceAccount(cc),
      impersonatorBinding(cc),
      caSecret(cc, pki.ca),
      servingCertificateSecret(cc, pki.ca, pki.serving),
      authProxyService(cc),
      authProxyDeployment(cc, this.settings),
      agentDeployment(cc, this.settings),
    ] as KubernetesObject[];
  }

  /** The CA ConfigMaps are children only while their caBundle is set: delete ours once it is removed. Only a
   *  ConfigMap carrying this ClusterConnect's labels is deleted, never a same-named one of someone else. */
  private async pruneCaConfigMaps(cc: ClusterConnect): Promise<void> {
    const names = childNames(cc);
    const unwanted = new Set<string>();
    if (!relayCaConfigMap(cc)) unwanted.add(names.relayCa);
    if (!oidcCaConfigMap(cc)) unwanted.add(names.oidcCa);
    if (!graphCaConfigMap(cc)) unwanted.add(names.graphCa);
    if (unwanted.size === 0) return;
    const namespace = cc.metadata.namespace;
    // From the cache: one it has not seen yet arrives as an event, and that reconcile deletes it.
    for (const configMap of this.cache.list<V1ConfigMap>('configmaps', namespace, ownerLabels(cc.metadata))) {
      const name = configMap.metadata?.name ?? '';
      if (unwanted.has(name)) await this.ignoreNotFound(this.clients.core.deleteNamespacedConfigMap({ name, namespace }));
    }
  }

  private async readSecret(namespace: string, name: string): Promise<V1Secret | undefined> {
    try {
      return await this.clients.core.readNamespacedSecret({ namespace, name });
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  private async relayCredentialsProblem(cc: ClusterConnect): Promise<string | undefined> {
    const ref = cc.spec.relay.credentialsSecretRef;
    const key = relayCredentialsKey(cc);
    // Live: the user's Secret is not one of our labelled children, so no watch holds it.
    const secret = await this.readSecret(cc.metadata.namespace, ref.name);
    const fix = `create it with: kubectl create secret generic ${ref.name} -n ${cc.metadata.namespace} --from-literal=${key}="$(clusterconnect relay issue-token --role agent --cluster ${cc.spec.clusterName} --key <relay signing key>)"`;
    if (!secret) return `relay credentials Secret ${cc.metadata.namespace}/${ref.name} not found: ${fix}`;
    if (!secret.data?.[key]) return `relay credentials Secret ${cc.metadata.namespace}/${ref.name} has no key "${key}": ${fix}`;
    return undefined;
  }

  private async planCertificates(cc: ClusterConnect): Promise<PkiPlan> {
    const names = childNames(cc);
    const namespace = cc.metadata.namespace;
    const cached = (name: string) => this.cache.get<V1Secret>('secrets', namespace, name);
    const fromCache = await this.planFrom(cc, cached(names.authProxyCaSecret), cached(names.authProxyCertificateSecret));
    if (!fromCache.change) return fromCache;
    // Issuing replaces the CA clients pin: never on the cache's word, which may not have seen our last write yet.
    // Plan again from the live Secrets. On this rare path (a certificate is due, or the cache is behind) the key
    // pairs the plan from the cache generated may be thrown away: one wasted key generation, which is acceptable.
    const [caNow, servingNow] = await Promise.all([
      this.readSecret(namespace, names.authProxyCaSecret),
      this.readSecret(namespace, names.authProxyCertificateSecret),
    ]);
    return this.planFrom(cc, caNow, servingNow);
  }

  private planFrom(cc: ClusterConnect, caSecretNow: V1Secret | undefined, servingSecretNow: V1Secret | undefined): Promise<PkiPlan> {
    return planPki(currentPki(caSecretNow, servingSecretNow), `${childNames(cc).authProxy}.${cc.metadata.namespace} CA`, authProxyDnsNames(cc), this.now());
  }

  /** Applies spec.access and deletes bindings it no longer lists. A binding the operator may not grant is reported, not fatal. */
  private async applyAccess(cc: ClusterConnect): Promise<{ count: number; problem?: { reason: string; message: string } }> {
    let desired: AccessObject[];
    try {
      desired = accessBindingObjects(cc);
    } catch (err) {
      return { count: 0, problem: { reason: 'InvalidBinding', message: err instanceof Error ? err.message : String(err) } };
    }
    const problems: string[] = [];
    for (const binding of desired) {
      try {
        await applyObject(this.clients, binding);
      } catch (err) {
        if (!isForbidden(err)) throw err;
        const role = `${binding.roleRef.kind} ${binding.roleRef.name}`;
        problems.push(`${binding.metadata?.labels?.[LABEL_ACCESS_BINDING]}: the operator may not grant ${role} (${apiErrorMessage(err)})`);
      }
    }
    const wanted = new Set(desired.map((b) => bindingKey(b.kind, b.metadata?.namespace, b.metadata?.name)));
    // From the cache: a binding it has not seen yet arrives as an event, and that reconcile prunes it.
    const labels = ownerLabels(cc.metadata, 'access');
    await this.pruneBindings({
      cluster: this.cache.list<V1ClusterRoleBinding>('clusterrolebindings', undefined, labels),
      namespaced: this.cache.list<V1RoleBinding>('rolebindings', undefined, labels),
    }, wanted);
    return problems.length
      ? { count: desired.length - problems.length, problem: { reason: 'Forbidden', message: `${problems.join('; ')}. Grant the operator 'bind' on that role (Helm value operator.grantableClusterRoles).` } }
      : { count: desired.length };
  }

  private heartbeats(cc: ClusterConnect) {
    return this.cache.list('leases', cc.metadata.namespace, ownerLabels(cc.metadata, 'agent-heartbeat')).flatMap((lease) => heartbeatOf(lease) ?? []);
  }

  /** Cluster-scoped children and bindings in other namespaces have no owner reference: delete them by label. Listed
   *  live: the finalizer goes next, and a binding the cache had not seen yet would be left behind for good. */
  private async removeUnownedChildren(owner: { namespace: string; name: string }): Promise<void> {
    const labelSelector = ownerSelector(owner);
    const [cluster, namespaced] = await Promise.all([
      this.clients.rbac.listClusterRoleBinding({ labelSelector }),
      this.clients.rbac.listRoleBindingForAllNamespaces({ labelSelector }),
    ]);
    await this.pruneBindings({ cluster: cluster.items, namespaced: namespaced.items }, new Set());
  }

  /** Deletes the given ClusterRoleBindings and RoleBindings whose bindingKey is not in `keep`. */
  private async pruneBindings(existing: { cluster: readonly V1ClusterRoleBinding[]; namespaced: readonly V1RoleBinding[] }, keep: ReadonlySet<string>): Promise<void> {
    for (const binding of existing.cluster) {
      const name = binding.metadata?.name ?? '';
      if (!keep.has(bindingKey('ClusterRoleBinding', undefined, name))) await this.ignoreNotFound(this.clients.rbac.deleteClusterRoleBinding({ name }));
    }
    for (const binding of existing.namespaced) {
      const name = binding.metadata?.name ?? '';
      const namespace = binding.metadata?.namespace ?? '';
      if (!keep.has(bindingKey('RoleBinding', namespace, name))) await this.ignoreNotFound(this.clients.rbac.deleteNamespacedRoleBinding({ name, namespace }));
    }
  }

  private async ignoreNotFound(call: Promise<unknown>): Promise<void> {
    try {
      await call;
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  private async recordTransitions(cc: ClusterConnect, conditions: Condition[], pki: PkiPlan): Promise<void> {
    if (pki.change) await this.events.record(cc, 'Normal', 'CertificateIssued', pki.change);
    // Ready often flips for the same reason as AgentConnected: one Event per distinct reason and message.
    const recorded = new Set<string>();
    for (const changed of transitions(cc.status?.conditions, conditions)) {
      if (changed.type !== 'Ready' && changed.type !== 'AgentConnected') continue;
      const id = `${changed.reason}\n${changed.message}`;
      if (recorded.has(id)) continue;
      recorded.add(id);
      await this.events.record(cc, changed.status === 'True' ? 'Normal' : 'Warning', changed.reason, changed.message);
    }
  }
}

/** The key pairs the two kube-aad-proxy Secrets hold, as planPki reads them. */
function currentPki(caSecret: V1Secret | undefined, servingSecret: V1Secret | undefined): CurrentPki {
  return {
    ca: { certPem: decodeSecretData(caSecret, 'ca.crt'), keyPem: decodeSecretData(caSecret, 'ca.key') },
    serving: { certPem: decodeSecretData(servingSecret, 'tls.crt'), keyPem: decodeSecretData(servingSecret, 'tls.key') },
  };
}
