import { expect } from 'chai';
import { decodeClusterInfoHeader, encodeClusterInfoHeader } from '../../../proxy/src/relay/cluster-info.js';
import { parseRoute, pathForLog } from '../../../proxy/src/relay/routes.js';
import { clusterInfo, testCaPem } from './fixtures.js';

describe('relay cluster connection info and routes', () => {
  it('round-trips through the base64url JSON header', async () => {
    const info = clusterInfo('prod', await testCaPem());
    expect(decodeClusterInfoHeader(encodeClusterInfoHeader(info))).to.deep.equal(info);
  });

  it('names the bad field', async () => {
    const pem = await testCaPem();
    const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    expect(() => decodeClusterInfoHeader(undefined)).to.throw('header is missing');
    expect(() => decodeClusterInfoHeader('%%%')).to.throw('not base64url JSON');
    expect(() => decodeClusterInfoHeader(encode({ ...clusterInfo('prod', pem), caBundlePem: 'nope' }))).to.throw('caBundlePem');
    expect(() => decodeClusterInfoHeader(encode({ ...clusterInfo('prod', pem), tlsServerName: 'a b' }))).to.throw('tlsServerName');
    expect(() => decodeClusterInfoHeader(encode({ ...clusterInfo('prod', pem), authModes: ['magic'] }))).to.throw('authModes');
  });

  it('parses the URL space', () => {
    expect(parseRoute('/v1/agent/connect')).to.deep.equal({ kind: 'agent-connect' });
    expect(parseRoute('/v1/clusters')).to.deep.equal({ kind: 'list-clusters' });
    expect(parseRoute('/v1/clusters/prod-eu')).to.deep.equal({ kind: 'cluster-info', cluster: 'prod-eu' });
    expect(parseRoute('/v1/clusters/prod-eu/connect?x=1')).to.deep.equal({ kind: 'client-connect', cluster: 'prod-eu' });
    expect(parseRoute('/v1/clusters/..%2Fetc/connect').kind).to.equal('bad-cluster-name');
    expect(parseRoute('/metrics').kind).to.equal('unknown');
  });

  it('logs a path without its query string (a credential put there by mistake stays out of the logs), capped', () => {
    expect(pathForLog('/v1/clusters/prod/connect?access_token=eyJhbGciOi.secret')).to.equal('/v1/clusters/prod/connect?…');
    expect(pathForLog('/v1/clusters')).to.equal('/v1/clusters');
    expect(pathForLog(undefined)).to.equal('');
    expect(pathForLog(`/${'a'.repeat(500)}`)).to.have.length(200);
  });
});
