import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { agentConfigFromFlags, parseLabels } from '../../../proxy/src/agent/agent-config.js';
import type { AgentFlags } from '../../../proxy/src/agent/agent-config.js';
import { run } from '../../support/run.js';
import { repoPath } from '../../support/repo.js';
import { makeKeys, testCaPem } from '../relay/fixtures.js';

describe('agent flags', () => {
  let flags: AgentFlags;
  let notACa: string;
  let emptyToken: string;
  before(async () => {
    const keys = await makeKeys();
    const caFile = join(keys.dir, 'upstream-ca.pem');
    writeFileSync(caFile, await testCaPem());
    notACa = join(keys.dir, 'not-a-ca.pem');
    writeFileSync(notACa, 'this is a token, not a certificate\n');
    emptyToken = join(keys.dir, 'empty.token');
    writeFileSync(emptyToken, ' \n');
    // Exactly what the operator's Deployment passes.
    flags = {
      clusterName: 'prod-eu',
      relayUrl: ['wss://relay-a.example.com', 'https://relay-b.example.com:8443/base'],
      relayTokenFile: await keys.tokenFile('agent', 'prod-eu'),
      upstream: 'kube-aad-proxy.clusterconnect.svc:443',
      upstreamCaFile: caFile,
      upstreamServerName: 'kube-aad-proxy.clusterconnect.svc',
      authModes: 'oidc,serviceaccount',
      heartbeatLeaseName: 'clusterconnect-agent-prod-eu',
      heartbeatLeaseNamespace: 'clusterconnect',
      heartbeatLeaseLabels: 'app.kubernetes.io/name=clusterconnect-agent,clusterconnect.io/cluster=prod-eu',
      opsPort: '8081',
      drainTimeout: '50s',
    };
  });

  it('parses the operator flag set', () => {
    const config = agentConfigFromFlags(flags);
    expect(config.relayUrls.map(String)).to.deep.equal(['wss://relay-a.example.com/', 'wss://relay-b.example.com:8443/base']);
    expect(config.upstream).to.deep.equal({ host: 'kube-aad-proxy.clusterconnect.svc', port: 443 });
    expect(config.clusterInfo).to.include({ cluster: 'prod-eu', tlsServerName: 'kube-aad-proxy.clusterconnect.svc' });
    expect(config.clusterInfo.authModes).to.deep.equal(['oidc', 'serviceaccount']);
    expect(config.heartbeat).to.deep.equal({
      name: 'clusterconnect-agent-prod-eu',
      namespace: 'clusterconnect',
      labels: { 'app.kubernetes.io/name': 'clusterconnect-agent', 'clusterconnect.io/cluster': 'prod-eu' },
    });
    expect(config.opsPort).to.equal(8081);
    expect(config.drainTimeoutMs).to.equal(50_000);
    expect(config.insecure).to.equal(false);
  });

  it('names the flag and the fix for each mistake', () => {
    const bad = (patch: Partial<AgentFlags>) => () => agentConfigFromFlags({ ...flags, ...patch });
    expect(bad({ relayUrl: ['ws://relay:80'] })).to.throw('use wss:// (or pass --insecure');
    expect(bad({ relayUrl: [] })).to.throw('--relay-url is required');
    expect(bad({ upstream: 'no-port' })).to.throw('--upstream "no-port" is not HOST:PORT');
    expect(bad({ authModes: 'oidc,kerberos' })).to.throw('--auth-modes: "kerberos" is not one of oidc, serviceaccount');
    expect(bad({ drainTimeout: '50' })).to.throw('--drain-timeout "50" is not a duration');
    expect(bad({ relayTokenFile: '/nonexistent/token' })).to.throw('--relay-token-file /nonexistent/token cannot be read (ENOENT)');
    expect(bad({ relayTokenFile: emptyToken })).to.throw(`--relay-token-file ${emptyToken} is empty; put the agent's relay token in it`);
    expect(bad({ clusterName: 'Prod_EU' })).to.throw('cluster name "Prod_EU" is not valid');
    expect(bad({ heartbeatLeaseNamespace: undefined })).to.throw('--heartbeat-lease-namespace');
    expect(bad({ upstreamServerName: 'not a name' })).to.throw('check --upstream-ca-file and --upstream-server-name');
    // CA files are checked at start, like every other CA flag, not at the first TLS handshake.
    expect(bad({ relayCaFile: notACa })).to.throw(`--relay-ca-file ${notACa} holds no PEM certificate; give the CA bundle in PEM`);
    expect(bad({ upstreamCaFile: notACa })).to.throw(`--upstream-ca-file ${notACa} holds no PEM certificate; give the CA bundle in PEM`);
    expect(() => parseLabels('a=b,=c', '--heartbeat-lease-labels')).to.throw('"=c" is not a Kubernetes label');
    expect(agentConfigFromFlags({ ...flags, relayUrl: ['ws://127.0.0.1:1'], insecure: true }).relayUrls[0]?.protocol).to.equal('ws:');
  });

  it('the CLI turns a bad flag into one line and exit code 2', async () => {
    const result = await run(process.execPath, [repoPath('dist/proxy/src/cli/main.js'), 'agent', '--cluster-name=x', '--relay-url=ws://r:1']);
    expect(result.code).to.equal(2);
    expect(result.stderr.trim().split('\n')).to.have.length(1);
    expect(result.stderr).to.contain('use wss://');
  });
});
