// The whole ClusterConnect chain on this machine, as `make demo` and the whole-chain e2e tests use it: a TLS relay
// with its own keys, a ClusterConnect reconciled by the operator (on the chart's ServiceAccount), the agent and
// kube-aad-proxy Pods it creates run by the local pod runner, and a client proxy — all real processes.
import type { V1Pod, V1Service } from '@kubernetes/client-node';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { AccessBinding } from '../../../operator/src/api/clusterconnect.js';
import { clusterEndpoint, kubeconfigForToken, kubectlOk, waitFor } from '../cluster.js';
import { createSelfSignedCertificate } from '../oidc/self-signed-cert.js';
import { runPodLocally, type RunningPod } from '../pods/run-pod.js';
import { LocalServices, type ServiceForwarding } from '../pods/services.js';
import { freePort, runRole, startRole, type RoleProcess } from '../role-process.js';
import { makeTempDir, removeTempDir } from '../temp-dir.js';

export interface LocalSystemOptions {
  namespace: string;
  clusterName: string;
  operatorServiceAccount: { name: string; namespace: string };
  access?: AccessBinding[];
  oidc?: { issuerURL: string; audience: string; caBundle: string };
  /** Progress lines (the demo prints them). */
  say?: (line: string) => void;
  /** The user entry `clusterconnect proxy` writes: this service-account token (its --token), else the exec plugin. */
  proxyToken?: () => Promise<string>;
  /** How Service addresses forward to pods (default userspace; the benchmark asks for kernel when it can). */
  serviceForwarding?: ServiceForwarding;
}

export interface LocalSystem {
  /** Keys, certificates, tokens and kubeconfigs of this system; stop() removes it. */
  dir: string;
  relayUrl: string;
  relayCaFile: string;
  clientTokenFile: string;
  relay: RoleProcess;
  operator: RoleProcess;
  pods: RunningPod[];
  proxy: RoleProcess;
  proxyPort: number;
  /** The kubeconfig `clusterconnect proxy` wrote (context = the cluster name). */
  proxyKubeconfig: string;
  /** kube-aad-proxy's CA and TLS name, as the ClusterConnect's status publishes them. */
  caBundle: string;
  serverName: string;
  /** Where the kube-aad-proxy Service answers on this machine (the kube-proxy stand-in's loopback address, port 443). */
  authProxyServiceAddress: string;
  /** A kubeconfig that reaches the cluster through the whole chain as this user: a bearer token, or a kubeconfig
   *  user entry (e.g. an exec credential plugin). */
  kubeconfigThroughTunnel(user: string | Record<string, unknown>, name?: string): string;
  restartRelay(): Promise<void>;
  /** Kills the operator, runs `whileDown`, and starts a new one (the same command line). */
  restartOperator(whileDown?: () => Promise<void>): Promise<void>;
  stop(): Promise<void>;
}

const cli = async (...args: string[]) => {
  const result = await runRole(`clusterconnect ${args[0]}`, args);
  if (result.code !== 0) throw new Error(`clusterconnect ${args[0]} ${args[1] ?? ''} failed: ${result.stderr.trim()}`);
  return result.stdout.trim();
};

interface PodList { items: V1Pod[] }

export async function startLocalSystem(options: LocalSystemOptions): Promise<LocalSystem> {
  const say = options.say ?? (() => undefined);
  const { namespace: ns, clusterName } = options;
  const dir = makeTempDir('cc-system-');
  const started: { stop(signal?: NodeJS.Signals): Promise<unknown> }[] = [];
  const services = new LocalServices(options.serviceForwarding);

  say('relay: signing keys, TLS certificate, start');
  const key = join(dir, 'relay.key');
  const pub = join(dir, 'relay.pub');
  await cli('relay', 'keygen', '--private-key', key, '--public-key', pub);
  const tls = await createSelfSignedCertificate();
  const relayCaFile = join(dir, 'relay.crt');
  writeFileSync(relayCaFile, tls.certPem);
  writeFileSync(join(dir, 'relay-tls.key'), tls.keyPem, { mode: 0o600 });
  const relayPort = await freePort();
  const relayUrl = `wss://127.0.0.1:${relayPort}`;
  const relayArgs = ['relay', '--listen', `127.0.0.1:${relayPort}`, '--tls-cert-file', relayCaFile, '--tls-key-file', join(dir, 'relay-tls.key'),
    '--public-key-file', pub, '--ops-host', '127.0.0.1', '--ops-port', '0', '--relay-name', 'local-relay', '--drain-timeout', '2s'];
  let relay = startRole('relay', relayArgs);
  started.push({ stop: (signal) => relay.stop(signal) });
  try {
    return await bringUp();
  } catch (error) {
    // A failed bring-up must not leave the relay, the operator or pods running.
    await Promise.all(started.map((p) => p.stop('SIGKILL')));
    await services.close();
    removeTempDir(dir);
    throw error;
  }

  async function bringUp(): Promise<LocalSystem> {
    await relay.waitForLog('relay listening');

    say(`cluster: relay credentials, ClusterConnect ${clusterName}, operator`);
    const agentToken = await cli('relay', 'issue-token', '--role', 'agent', '--cluster', clusterName, '--key', key, '--ttl', '2h');
    await kubectlOk(['create', 'secret', 'generic', 'relay-token', '-n', ns, `--from-literal=token=${agentToken}`]);
    const clientTokenFile = join(dir, 'client.token');
    writeFileSync(clientTokenFile, await cli('relay', 'issue-token', '--role', 'client', '--cluster', clusterName, '--key', key, '--ttl', '2h'), { mode: 0o600 });
    await kubectlOk(['apply', '-n', ns, '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'clusterconnect.io/v1alpha1', kind: 'ClusterConnect', metadata: { name: clusterName },
        spec: {
          clusterName,
          relay: { url: relayUrl, credentialsSecretRef: { name: 'relay-token' }, caBundle: tls.certPem },
          agent: { replicas: 2 },
          authProxy: { replicas: 2, ...(options.oidc ? { oidc: options.oidc } : {}) },
          access: options.access ?? [],
        },
      }),
    });
    const operatorToken = (await kubectlOk(['create', 'token', options.operatorServiceAccount.name, '-n', options.operatorServiceAccount.namespace, '--duration', '2h'])).trim();
    const operatorArgs = ['operator', '--kubeconfig', kubeconfigForToken(operatorToken, 'operator', dir), '--no-leader-election', '--ops-host', '127.0.0.1', '--ops-port', '0'];
    let operator = startRole('operator', operatorArgs);
    started.push({ stop: (signal) => operator.stop(signal) });
    await operator.waitForLog('watching ClusterConnects');

    say('pods: run the agent and kube-aad-proxy Pods the operator created');
    const apiserver = new URL(clusterEndpoint().server);
    const podsOf = async (component: string, count: number) => waitFor(`${count} Running ${component} pods`, async () => {
      const list = JSON.parse(await kubectlOk(['get', 'pods', '-n', ns, '-l', `app.kubernetes.io/component=${component}`, '-o', 'json'])) as PodList;
      const running = list.items.filter((p) => p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp);
      return running.length === count ? running : undefined;
    }, 60_000);
    const pods: RunningPod[] = [];
    const runPods = async (list: V1Pod[]) => {
      for (const pod of list) {
        const running = await runPodLocally(pod, { apiserver: { host: apiserver.hostname, port: Number(apiserver.port) }, hostsFile: services.hostsFile });
        pods.push(running);
        started.push(running);
      }
    };
    await runPods(await podsOf('kube-aad-proxy', 2));
    const service = JSON.parse(await kubectlOk(['get', 'service', `${clusterName}-kube-aad-proxy`, '-n', ns, '-o', 'json'])) as V1Service;
    const authProxyServiceAddress = await services.expose(service, (target) => pods.filter((p) => p.labels['app.kubernetes.io/component'] === 'kube-aad-proxy')
      .map((p) => ({ host: '127.0.0.1', port: p.hostPorts.get(target) ?? 0 })));
    await runPods(await podsOf('agent', 2));

    const status = await waitFor('the ClusterConnect to be Ready with 2/2 agents', async () => {
      const cc = JSON.parse(await kubectlOk(['get', 'clusterconnect', clusterName, '-n', ns, '-o', 'json'])) as {
        status?: { agents?: string; caBundle?: string; authProxyServerName?: string; conditions?: { type: string; status: string }[] };
      };
      const ready = cc.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
      return ready && cc.status?.agents === '2/2' ? cc.status : undefined;
    }, 60_000);

    say('client: clusterconnect proxy');
    const proxyPort = await freePort();
    const proxyKubeconfig = join(dir, 'proxy-kubeconfig');
    // From a file, not --token: a command line is readable by every local user (ps).
    const proxyTokenFile = join(dir, 'proxy-sa.token');
    if (options.proxyToken) writeFileSync(proxyTokenFile, await options.proxyToken(), { mode: 0o600 });
    const proxyToken = options.proxyToken ? ['--token-file', proxyTokenFile] : [];
    const proxy = startRole('proxy', ['proxy', '-n', clusterName, '--relay', relayUrl, '--relay-ca-file', relayCaFile, '--relay-token-file', clientTokenFile,
      '--port', String(proxyPort), '--file', proxyKubeconfig, '--output', 'json', ...proxyToken]);
    started.push(proxy);
    await proxy.waitForLog('"status":"ready"');

    const caBundle = status.caBundle ?? '';
    const serverName = status.authProxyServerName ?? '';
    return {
      dir, relayUrl, relayCaFile, clientTokenFile, pods, proxy, proxyPort, proxyKubeconfig, caBundle, serverName, authProxyServiceAddress,
      get relay() { return relay; },
      get operator() { return operator; },
      kubeconfigThroughTunnel(user, name = 'tunnel') {
        const path = join(mkdtempSync(join(dir, 'kubeconfig-')), 'config');
        writeFileSync(path, stringify({
          apiVersion: 'v1', kind: 'Config', 'current-context': name,
          clusters: [{ name, cluster: { server: `https://127.0.0.1:${proxyPort}`, 'tls-server-name': serverName, 'certificate-authority-data': Buffer.from(caBundle).toString('base64') } }],
          users: [{ name, user: typeof user === 'string' ? { token: user } : user }],
          contexts: [{ name, context: { cluster: name, user: name } }],
        }), { mode: 0o600 });
        return path;
      },
      async restartRelay() {
        await relay.stop('SIGKILL');
        relay = startRole('relay', relayArgs);
        await relay.waitForLog('relay listening');
      },
      async restartOperator(whileDown) {
        await operator.stop('SIGKILL');
        await whileDown?.();
        operator = startRole('operator', operatorArgs);
        await operator.waitForLog('watching ClusterConnects');
      },
      async stop() {
        await operator.stop('SIGKILL');
        await Promise.all(started.map((p) => p.stop('SIGKILL')));
        await services.close();
        // Last: the processes read their keys, tokens and kubeconfigs from here until they have stopped.
        removeTempDir(dir);
      },
    };
  }
}
