// `make demo` after the cluster is up: the chart, a ClusterConnect, the relay, the agent and kube-aad-proxy Pods
// (run locally: the nodes are kwok fakes), the client proxy, and kubectl through all of it. Keeps running until
// Ctrl+C, then removes what it created. With CI=true it exits after its checks, non-zero on any failure.
import { helmPath, kubectl, kubectlOk, kubectlPath } from '../support/cluster.js';
import { repoPath } from '../support/repo.js';
import { run } from '../support/run.js';
import { startLocalSystem, type LocalSystem } from '../support/system/local-system.js';

const NAMESPACE = 'clusterconnect-demo';
const RELEASE = 'clusterconnect';
const SYSTEM_NAMESPACE = 'clusterconnect-system';
const tty = process.stdout.isTTY;
const bold = (s: string) => (tty ? `\x1b[1m${s}\x1b[0m` : s);
const step = (s: string) => console.log(`\n${bold(`==> ${s}`)}`);
const ok = (s: string) => console.log(`    ${tty ? '\x1b[32m✔\x1b[0m' : 'ok:'} ${s}`);

async function main(): Promise<number> {
  let system: LocalSystem | undefined;
  const cleanup = async () => {
    step('Cleaning up');
    await system?.stop();
    await kubectl(['delete', 'namespace', NAMESPACE, '--wait=false']);
    await run(helmPath, ['uninstall', RELEASE, '-n', SYSTEM_NAMESPACE, '--kubeconfig', repoPath('.cache/cluster/kubeconfig')]);
    ok('demo processes stopped, namespace and chart removed (the local cluster keeps running: make cluster-down)');
  };
  try {
    step('Install the Helm chart (CRD, operator RBAC, the impersonate-only and heartbeat ClusterRoles)');
    const install = await run(helmPath, ['upgrade', '--install', RELEASE, repoPath('helm/clusterconnect-agent'), '-n', SYSTEM_NAMESPACE, '--create-namespace',
      '--kubeconfig', repoPath('.cache/cluster/kubeconfig'), '--wait', '--timeout', '90s']);
    if (install.code !== 0) throw new Error(`helm install failed: ${install.stderr.trim()}`);
    ok(`release ${RELEASE} in ${SYSTEM_NAMESPACE}`);

    step(`Namespace ${NAMESPACE} and a service account to connect as`);
    await kubectl(['delete', 'namespace', NAMESPACE, '--wait=true', '--timeout=60s']);
    await kubectlOk(['create', 'namespace', NAMESPACE]);
    await kubectlOk(['create', 'serviceaccount', 'demo-user', '-n', NAMESPACE]);
    ok('serviceaccount demo-user (spec.access grants it view cluster-wide)');

    step('ClusterConnect "demo": relay, operator, agent and kube-aad-proxy, client proxy');
    // The seeds' --token path: `clusterconnect proxy --token` writes the service-account token into the kubeconfig.
    const token = async () => (await kubectlOk(['create', 'token', 'demo-user', '-n', NAMESPACE, '--duration', '8h'])).trim();
    system = await startLocalSystem({
      proxyToken: token,
      namespace: NAMESPACE,
      clusterName: 'demo',
      operatorServiceAccount: { name: `${RELEASE}-operator`, namespace: SYSTEM_NAMESPACE },
      access: [{ name: 'demo-user-view', clusterRole: 'view', serviceAccounts: [`${NAMESPACE}/demo-user`] }],
      say: (line) => ok(line),
    });
    ok(`relay ${system.relayUrl}; client proxy 127.0.0.1:${system.proxyPort}; kube-aad-proxy TLS name ${system.serverName}`);
    console.log((await kubectlOk(['get', 'clusterconnects', '-n', NAMESPACE, '-o', 'wide'])).replace(/^/gm, '    '));

    step('kubectl get pods -A, through kubectl → proxy → relay → agent → kube-aad-proxy → apiserver');
    const kubeconfig = system.proxyKubeconfig;
    const pods = await kubectl(['--context', 'demo', 'get', 'pods', '-A'], { kubeconfig });
    if (pods.code !== 0) throw new Error(`kubectl through the tunnel failed: ${pods.stderr.trim()}`);
    console.log(pods.stdout.replace(/^/gm, '    '));
    ok('answered through the tunnel');

    if (process.env.CI === 'true') {
      await cleanup();
      return 0;
    }
    console.log(`\nTry it from another shell (the demo keeps running):\n\n    ${kubectlPath} --kubeconfig ${kubeconfig} --context demo get pods -A\n\nPress Ctrl+C to stop and clean up.`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await cleanup();
    return 0;
  } catch (error) {
    console.error(`\nerror: ${error instanceof Error ? error.message : String(error)}`);
    await cleanup().catch(() => undefined);
    return 1;
  }
}

process.exitCode = await main();
