// Root hooks of the e2e suite: the Helm chart is installed once for every file (its shared ClusterRoles can belong
// to one release only, as on a real cluster) and uninstalled at the end. The operator Pods it creates never run
// (the nodes are kwok fakes); tests run operator processes on the chart's own ServiceAccount instead.
import { helmPath, requireCluster } from '../support/cluster.js';
import { repoPath } from '../support/repo.js';
import { run } from '../support/run.js';

export const CHART_RELEASE = 'clusterconnect';
export const SYSTEM_NAMESPACE = 'clusterconnect-system';
export const OPERATOR_SERVICE_ACCOUNT = `${CHART_RELEASE}-operator`;

const kubeconfig = repoPath('.cache/cluster/kubeconfig');

export const mochaHooks = {
  async beforeAll(this: Mocha.Context): Promise<void> {
    this.timeout(120_000);
    requireCluster();
    const install = await run(helmPath, ['upgrade', '--install', CHART_RELEASE, repoPath('helm/clusterconnect-agent'), '-n', SYSTEM_NAMESPACE,
      '--create-namespace', '--kubeconfig', kubeconfig, '--wait', '--timeout', '90s']);
    if (install.code !== 0) throw new Error(`helm install of the chart failed: ${install.stderr.trim()}`);
  },
  async afterAll(this: Mocha.Context): Promise<void> {
    this.timeout(60_000);
    await run(helmPath, ['uninstall', CHART_RELEASE, '-n', SYSTEM_NAMESPACE, '--kubeconfig', kubeconfig, '--wait']);
  },
};
