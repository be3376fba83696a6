import { expect } from 'chai';
import { ago, clustersJson, clustersTable } from '../../../proxy/src/client/clusters-output.js';
import { readyJsonLine, readyTextLines } from '../../../proxy/src/client/ready-output.js';

describe('proxy: output', () => {
  const state = { cluster: 'prod', context: 'prod-ctx', listen: '127.0.0.1:47011', kubeconfig: '/home/u/.kube/config' };

  it('ready: exactly one JSON line with status, cluster, context, listen, kubeconfig', () => {
    const line = readyJsonLine(state);
    expect(line.endsWith('\n')).to.equal(true);
    expect(line.trim().split('\n')).to.have.length(1);
    expect(JSON.parse(line)).to.deep.equal({ status: 'ready', ...state });
  });

  it('ready: the human lines name the listener, the context, the merge and Ctrl+C', () => {
    const text = readyTextLines(state, 'Merged "prod-ctx" as current context in /home/u/.kube/config');
    expect(text).to.equal(
      'Proxy for cluster prod listening on 127.0.0.1:47011\nContext: prod-ctx\nMerged "prod-ctx" as current context in /home/u/.kube/config\nPress Ctrl+C to stop.\n',
    );
  });

  it('clusters: an aligned table with last seen as an age, or JSON', () => {
    const now = new Date('2026-11-22T12:00:00Z');
    const answer = {
      relay: 'r1',
      clusters: [
        { name: 'alpha', agents: 2, readyAgents: 1, lastSeen: now.toISOString() },
        { name: 'gone-cluster', agents: 0, readyAgents: 0, lastSeen: '2026-11-22T11:55:00Z' },
      ],
    };
    expect(clustersTable(answer, now)).to.equal(
      ['NAME           AGENTS   READY   LAST SEEN', 'alpha          2        1       now', 'gone-cluster   0        0       5m ago', ''].join('\n'),
    );
    expect(JSON.parse(clustersJson(answer))).to.deep.equal(answer);
    expect(clustersTable({ relay: 'r1', clusters: [] })).to.include('No clusters');
    expect(ago(new Date('2026-11-20T12:00:00Z'), now)).to.equal('2d ago');
    expect(ago(new Date('2026-11-22T09:00:00Z'), now)).to.equal('3h ago');
  });
});
