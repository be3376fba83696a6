// The operator writes the command lines of the pods it creates; the roles parse them. This checks the two agree,
// with the real commander definitions, so a renamed flag fails here instead of in a crash-looping pod.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { agentDeployment, heartbeatLeaseLabels } from '../../../operator/src/desired/agent.js';
import { authModes, authProxyDeployment } from '../../../operator/src/desired/auth-proxy.js';
import { parseAuthModes, parseLabels } from '../../../proxy/src/agent/agent-config.js';
import { parsePort } from '../../../proxy/src/common/port.js';
import { parseRelayUrl } from '../../../proxy/src/common/relay-url.js';
import { buildProgram } from '../../../proxy/src/cli/program.js';
import { authProxyConfigFromFlags } from '../../../proxy/src/cli/auth-proxy-command.js';
import { repoPath } from '../../support/repo.js';
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

/** The long flags `role` offers in --help: not a hidden old name (--ops-address), which is only kept for old manifests. */
function offeredFlags(role: string): Set<string> {
  const command = buildProgram().commands.find((c) => c.name() === role) as Command;
  return new Set(command.options.filter((o) => !o.hidden && o.long).map((o) => o.long as string));
}

/** `--name` of each `--name` / `--name=value` argument. */
const flagNames = (args: string[]) => args.filter((a) => a.startsWith('--')).map((a) => a.replace(/=.*$/s, ''));

describe('operator ↔ roles: the command lines the operator writes', () => {
  it('writes only flags the roles offer under their current names', () => {
    const cc = sampleClusterConnect({
      relay: { url: 'wss://relay.example.com', credentialsSecretRef: { name: 'r' }, caBundle: 'PEM', allowInsecure: true },
      authProxy: {
        oidc: { issuerURL: 'https://login.example.com/t/v2.0', audience: 'api://kube', usernamePrefix: 'aad:', groupsPrefix: 'aad:', allowedTenants: ['t1'], caBundle: 'PEM' },
        groupOverage: { clientId: 'graph-app', authorityURL: 'https://login.example.com/t', graphURL: 'https://graph.example.com', clientSecretRef: { name: 'g' }, caBundle: 'PEM' },
      },
    });
    const authProxy = authProxyDeployment(cc, { image: 'x' }).spec!.template.spec!.containers[0]!.args!;
    const agent = agentDeployment(cc, { image: 'x' }).spec!.template.spec!.containers[0]!.args!;
    for (const [role, args] of [['auth-proxy', authProxy], ['agent', agent]] as const) {
      const offered = offeredFlags(role);
      expect(flagNames(args).filter((flag) => !offered.has(flag)), role).to.deep.equal([]);
    }
  });

  it("the Helm chart's operator Deployment passes only flags the operator offers", () => {
    const template = readFileSync(repoPath('helm/clusterconnect-agent/templates/operator-deployment.yaml'), 'utf8');
    const args = /^\s+args:\n((?:\s+(?:- .*|\{\{.*\}\})\n)+)/m.exec(template)?.[1] ?? '';
    const flags = [...args.matchAll(/^\s+- (--[a-z-]+)/gm)].map((m) => m[1] as string);
    expect(flags, 'flags found in the template').to.include.members(['--image', '--ops-port', '--no-leader-election']);
    const offered = offeredFlags('operator');
    expect(flags.filter((flag) => !offered.has(flag))).to.deep.equal([]);
  });

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
