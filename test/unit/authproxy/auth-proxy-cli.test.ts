// `clusterconnect auth-proxy` flags, the request verbs of the audit line, and the impersonator ClusterRole.
import { expect } from 'chai';
import { impersonatorClusterRole, impersonatorClusterRoleBinding } from '../../../proxy/src/authproxy/impersonator-rbac.js';
import { requestVerb } from '../../../proxy/src/authproxy/request-verb.js';
import { repoPath } from '../../support/repo.js';
import { run } from '../../support/run.js';

const authProxy = (...args: string[]) => run(process.execPath, [repoPath('dist/proxy/src/cli/main.js'), 'auth-proxy', ...args]);

describe('clusterconnect auth-proxy (flags)', () => {
  it('documents its flags and defaults in --help', async () => {
    const result = await authProxy('--help');
    expect(result.code).to.equal(0);
    for (const flag of ['--tls-cert-file', '--kubeconfig', '--oidc-issuer-url', '--oidc-username-claim <claim>', '--no-service-account-tokens', '--graph-client-certificate-file']) {
      expect(result.stdout).to.contain(flag);
    }
    expect(result.stdout).to.contain('(default: 8443)');
    expect(result.stdout).to.contain('(default: 8081)');
    expect(result.stdout).to.contain('(default: "oid")');
    expect(result.stdout.replace(/\s+/g, ' ')).to.contain('--drain-seconds <duration> on SIGTERM, how long in-flight requests may finish: a duration (10s, 1m) or whole seconds (10) (default: "10s")');
    expect(result.stdout).to.contain('--ops-host <host>');
    expect(result.stdout, 'the old name is accepted but not offered').to.not.contain('--ops-address');
  });

  const badFlags: [string, string[], RegExp][] = [
    ['a port out of range', ['--port', '70000'], /--port.*between 0 and 65535/],
    ['missing certificate files', ['--oidc-issuer-url', 'https://issuer.test/v2.0'], /--tls-cert-file and --tls-key-file are required/],
    ['an issuer without audience', ['--tls-cert-file', 'c', '--tls-key-file', 'k', '--oidc-issuer-url', 'https://issuer.test/v2.0'], /--oidc-audience is required/],
    ['an http issuer', ['--tls-cert-file', 'c', '--tls-key-file', 'k', '--oidc-issuer-url', 'http://issuer.test', '--oidc-audience', 'a'], /must be an https URL/],
    ['nothing to authenticate with', ['--tls-cert-file', 'c', '--tls-key-file', 'k', '--no-service-account-tokens'], /give --oidc-issuer-url, or drop --no-service-account-tokens/],
    ['Graph without a credential', ['--tls-cert-file', 'c', '--tls-key-file', 'k', '--oidc-issuer-url', 'https://i.test/v2.0', '--oidc-audience', 'a', '--graph-client-id', 'x'], /needs --graph-client-secret-file or --graph-client-certificate-file/],
    ['an unreadable secret file', ['--tls-cert-file', 'c', '--tls-key-file', 'k', '--oidc-issuer-url', 'https://i.test/v2.0', '--oidc-audience', 'a', '--graph-client-id', 'x', '--graph-client-secret-file', '/nonexistent/secret'], /^error: --graph-client-secret-file \/nonexistent\/secret cannot be read \(ENOENT\); check the path$/m],
    ['an unreadable CA file', ['--tls-cert-file', 'c', '--tls-key-file', 'k', '--oidc-issuer-url', 'https://i.test/v2.0', '--oidc-audience', 'a', '--oidc-ca-file', '/nonexistent/ca.pem'], /^error: --oidc-ca-file \/nonexistent\/ca\.pem cannot be read \(ENOENT\); check the path$/m],
    ['a drain time that is no duration', ['--tls-cert-file', 'c', '--tls-key-file', 'k', '--drain-seconds', '10x'], /^error: --drain-seconds "10x" is not a duration: use whole seconds \(30\) or a number with a unit/],
  ];
  for (const [what, args, message] of badFlags) {
    it(`stops on ${what} with one line naming the fix and exit code 2`, async () => {
      const result = await authProxy(...args);
      expect(result.code).to.equal(2);
      expect(result.stderr.trim().split('\n')).to.have.length(1);
      expect(result.stderr).to.match(message);
    });
  }
});

describe('authproxy/request-verb', () => {
  const cases: [string, string, string][] = [
    ['GET', '/api/v1/namespaces/ns/pods', 'list'],
    ['GET', '/api/v1/namespaces/ns/pods?watch=true', 'watch'],
    ['GET', '/api/v1/watch/namespaces/ns/pods', 'watch'],
    ['GET', '/api/v1/namespaces/ns/pods/p', 'get'],
    ['GET', '/api/v1/namespaces/ns', 'get'],
    ['GET', '/api/v1/namespaces', 'list'],
    ['POST', '/api/v1/namespaces/ns/pods/p/exec?command=ls', 'create'],
    ['DELETE', '/apis/apps/v1/namespaces/ns/deployments', 'deletecollection'],
    ['DELETE', '/apis/apps/v1/namespaces/ns/deployments/d', 'delete'],
    ['PATCH', '/apis/apps/v1/namespaces/ns/deployments/d', 'patch'],
    ['PUT', '/api/v1/nodes/n', 'update'],
    ['GET', '/version', 'get'],
    ['GET', '/apis', 'get'],
  ];
  for (const [method, url, verb] of cases) {
    it(`${method} ${url} → ${verb}`, () => expect(requestVerb(method, url)).to.equal(verb));
  }
});

describe('authproxy/impersonator-rbac', () => {
  it('grants impersonate on users, groups, service accounts, uids and the configured extras — nothing else', () => {
    const role = impersonatorClusterRole({ name: 'r', extraKeys: ['clusterconnect.io/tid'] });
    expect(role.rules).to.deep.equal([
      { apiGroups: [''], resources: ['users', 'groups', 'serviceaccounts'], verbs: ['impersonate'] },
      { apiGroups: ['authentication.k8s.io'], resources: ['uids', 'userextras/clusterconnect.io/tid'], verbs: ['impersonate'] },
    ]);
    expect(impersonatorClusterRoleBinding({ name: 'sa', namespace: 'ns' }, 'r')).to.deep.include({ roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'r' } });
  });
});
