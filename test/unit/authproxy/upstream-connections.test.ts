import { expect } from 'chai';
import type { Agent } from 'node:https';
import { PoolAgent } from '../../../proxy/src/authproxy/upstream-connections.js';

describe('authproxy/upstream-connections', () => {
  it('keys every socket of a pool alike, whatever a request would add, so keep-alive sockets are reused', () => {
    const agent: Agent = new PoolAgent({ keepAlive: true, ca: 'CA PEM', host: 'apiserver', port: 6443 });
    try {
      expect(agent.getName()).to.equal(agent.getName({ host: 'other', port: 1, ca: 'other CA' }));
    } finally {
      agent.destroy();
    }
  });
});
