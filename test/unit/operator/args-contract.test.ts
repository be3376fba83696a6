// The operator writes the command lines of the pods it creates; the roles parse them. This checks the two agree,
// with the real commander definitions, so a renamed flag fails here instead of in a crash-looping pod.
import { expect } from 'chai';
import type { Command } from 'commander';
import { agentDeployment, heartbeatLeaseLabels } from '../../../operator/src/desired/agent.js';
import { authModes, authProxyDeployment } from '../../../operator/src/desired/auth-proxy.js';
import { parseAuthModes, parseLabels } from '../../../proxy/src/agent/agent-config.js';
import { parsePort } from '../../../proxy/src/common/port.js';
import { parseRelayUrl } from '../../../proxy/src/common/relay-url.js';
import { buildProgram } from '../../../proxy/src/cli/program.js';
import { authProxyConfigFromFlags } from '../../../proxy/src/cli/auth-proxy-command.js';
import { sampleClusterConnect } from './fixtures.js';

/** Parses `args` with the real subcommand and returns its options, without running the role. */
export async function parseRoleArgs(args: string[]): Promise<Record<string, unknown>> {
  const program = buildProgram();
  const [role] = args;
  const command = program.commands.find((c) => c.name() === role) as Command;
  expect(command, `subcommand ${role}`).to.exist;
  let captured: Record<string, unknown> | undefined;
  command.action(function (this: Command) {
    captured = this.opts();
  });
  await program.parseAsync(['node', 'clusterconnect', ...args]);
  return captured ?? {};
}

describe('operator ↔ roles: the command lines the operator writes', () => {
  it('kube-aad-proxy accepts its args and ends up with the spec’s OIDC and passthrough settings', async () => {
    const cc = sampleClusterConnect({
      authProxy: {
        oidc: { issuerURL: 'https://login.example.com/t/v2.0', audience: 'api://kube', usernameClaim: 'upn', usernamePrefix: 'aad:', groupsClaim: 'groups', allowedTenants: ['t1'] },
        serviceAccountTokens: { enabled: false },
      },
    });
    const args = authProxyDeployment(cc, { image: 'x' }).spec!.template.spec!.containers[0]!.args!;
    const config = authProxyConfigFromFlags((await parseRoleArgs(args)) as unknown as Parameters<typeof authProxyConfigFromFlags>[0]);
    expect(config.listenPort).to.equal(8443);
    expect(config.opsPort).to.equal(8081);
    expect(config.tlsCertFile).to.equal('/var/run/clusterconnect/tls/tls.crt');
    expect(config.upstream).to.deep.equal({ kind: 'in-cluster' });
    expect(config.serviceAccountTokens).to.equal(false);
    expect(config.oidc[0]).to.deep.include({ issuerURL: 'https://login.example.com/t/v2.0', usernameClaim: 'upn', usernamePrefix: 'aad:', allowedTenants: ['t1'] });
    expect(authModes(cc)).to.deep.equal(['oidc']);
  });

  it('the agent accepts every flag the operator writes, with values its parsers take', async () => {
    const cc = sampleClusterConnect({ relay: { url: 'ws://127.0.0.1:9000', allowInsecure: true, credentialsSecretRef: { name: 'r' }, caBundle: 'PEM' } });
    const args = agentDeployment(cc, { image: 'x' }).spec!.template.spec!.containers[0]!.args!;
    const flags = (await parseRoleArgs(args)) as Record<string, string | string[] | boolean>;
    expect(flags.clusterName).to.equal('prod-west');
    expect(parseRelayUrl((flags.relayUrl as string[])[0]!, flags.insecure === true).href).to.equal('ws://127.0.0.1:9000/');
    expect(flags.upstream).to.equal('prod-kube-aad-proxy.clusterconnect.svc:443');
    expect(flags.relayCaFile).to.equal('/var/run/clusterconnect/relay-ca/ca.crt');
    expect(parseAuthModes(flags.authModes as string)).to.deep.equal(authModes(cc));
    expect(parseLabels(flags.heartbeatLeaseLabels as string, '--heartbeat-lease-labels')).to.deep.equal(heartbeatLeaseLabels(cc));
    expect(parsePort(flags.opsPort as string, '--ops-port', 0)).to.equal(8081);
    // Kubernetes expands these from the pod's env (POD_NAME, POD_NAMESPACE) before the agent sees them.
    expect(flags.heartbeatLeaseName).to.equal('$(POD_NAME)');
  });
});
