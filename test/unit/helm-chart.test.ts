// The Helm chart carries copies of things defined elsewhere; they must not drift.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { agentHeartbeatClusterRole } from '../../operator/src/desired/agent.js';
import { impersonatorClusterRole } from '../../proxy/src/authproxy/impersonator-rbac.js';
import { repoPath } from '../support/repo.js';

const chart = (path: string) => repoPath('helm/clusterconnect-agent', path);

describe('helm/clusterconnect-agent', () => {
  it("carries a CRD identical to crds/ (the single source)", () => {
    expect(readFileSync(chart('crds/clusterconnect.yaml'), 'utf8')).to.equal(readFileSync(repoPath('crds/clusterconnect.yaml'), 'utf8'));
  });

  it('ships exactly the ClusterRoles the operator binds: impersonate-only and heartbeat-only', () => {
    const shipped = parseAllDocuments(readFileSync(chart('templates/shared-clusterroles.yaml'), 'utf8')).map((d) => d.toJS() as { metadata: { name: string } });
    const byName = new Map(shipped.map((role) => [role.metadata.name, role]));
    for (const expected of [impersonatorClusterRole(), agentHeartbeatClusterRole()]) {
      expect(byName.get(expected.metadata!.name!), expected.metadata!.name).to.deep.equal(JSON.parse(JSON.stringify(expected)));
    }
    expect(shipped).to.have.length(2);
  });

  it('lets the operator bind those two roles by name (bind with resourceNames, never escalate)', () => {
    const rbac = readFileSync(chart('templates/operator-rbac.yaml'), 'utf8').split('\n').filter((line) => !/^\s*#/.test(line)).join('\n');
    expect(rbac).to.contain(`- ${impersonatorClusterRole().metadata!.name}`);
    expect(rbac).to.contain(`- ${agentHeartbeatClusterRole().metadata!.name}`);
    expect(rbac).not.to.match(/\bescalate\b/);
    expect(rbac).not.to.match(/verbs: \[\*\]|"\*"/);
  });

  it('grants the operator the verbs its calls need, and update only where an owner reference needs it', () => {
    // The template with its directives dropped and its expressions stubbed, enough to read the rules.
    const text = readFileSync(chart('templates/operator-rbac.yaml'), 'utf8').split('\n')
      .filter((line) => !/^\s*(?:- )?\{\{-?\s*(?:range\b|end\b|with\b|\.\s*\}\})/.test(line))
      .map((line) => line.replace(/\{\{-?[^}]*\}\}/g, 'X'))
      .join('\n');
    type Rule = { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] };
    const docs = parseAllDocuments(text).map((d) => d.toJS() as { kind: string; rules?: Rule[] });
    const verbs = (kind: string, resource: string) =>
      new Set(docs.filter((d) => d.kind === kind).flatMap((d) => d.rules ?? []).filter((r) => r.resources.includes(resource)).flatMap((r) => r.verbs));
    const clusterRole = (resource: string) => [...verbs('ClusterRole', resource)].sort();
    expect(clusterRole('clusterconnects')).to.deep.equal(['get', 'list', 'patch', 'watch']);
    expect(clusterRole('clusterconnects/status')).to.deep.equal(['patch']);
    expect(clusterRole('clusterconnects/finalizers')).to.deep.equal(['update']);
    // Pruning deletes bindings (and the optional CA ConfigMaps: children, below).
    for (const pruned of ['rolebindings', 'clusterrolebindings']) expect(clusterRole(pruned), pruned).to.include('delete');
    // Children: listed and watched (the cache), applied (create, patch), deleted. Only Secrets are also read live
    // (the relay credentials, kube-aad-proxy's CA and certificate); kube-aad-proxy's available replicas come from the cache.
    const child = ['create', 'delete', 'list', 'patch', 'watch'];
    for (const kind of ['serviceaccounts', 'services', 'configmaps', 'deployments']) expect(clusterRole(kind), kind).to.deep.equal(child);
    expect(clusterRole('secrets')).to.deep.equal(['get', ...child].sort());
    expect(clusterRole('events')).to.deep.equal(['create']);
    const updates = docs.filter((d) => d.kind === 'ClusterRole').flatMap((d) => d.rules ?? []).filter((r) => r.verbs.includes('update'));
    expect(updates.flatMap((r) => r.resources)).to.deep.equal(['clusterconnects/finalizers']);
    // Leader election reads, creates and replaces its Lease.
    expect([...verbs('Role', 'leases')].sort()).to.deep.equal(['create', 'get', 'update']);
  });

  it('has a values schema that is valid JSON and describes every top-level value', () => {
    const schema = JSON.parse(readFileSync(chart('values.schema.json'), 'utf8')) as { properties: Record<string, unknown> };
    const values = readFileSync(chart('values.yaml'), 'utf8');
    const topLevel = [...values.matchAll(/^([a-zA-Z]+):/gm)].map((m) => m[1]);
    expect(Object.keys(schema.properties).sort()).to.deep.equal([...new Set(topLevel)].sort());
  });
});
