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

  it('has a values schema that is valid JSON and describes every top-level value', () => {
    const schema = JSON.parse(readFileSync(chart('values.schema.json'), 'utf8')) as { properties: Record<string, unknown> };
    const values = readFileSync(chart('values.yaml'), 'utf8');
    const topLevel = [...values.matchAll(/^([a-zA-Z]+):/gm)].map((m) => m[1]);
    expect(Object.keys(schema.properties).sort()).to.deep.equal([...new Set(topLevel)].sort());
  });
});
