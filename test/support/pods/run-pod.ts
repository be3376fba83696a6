// Runs a Pod the operator created as a local process (the nodes are kwok fakes, so nothing else would run it):
// its container's args and env as written, its volumes at their real mount paths inside a private mount
// namespace (`unshare --mount`), a TokenRequest token bound to the Pod, and /etc/hosts naming the Services.
// Two things differ from a kubelet, and both are visible: every containerPort is remapped to a free host port
// (flags whose value is that port are rewritten), and the process shares the host's network.
import type { V1Pod } from '@kubernetes/client-node';
import { cliPath, freePort, startCommand, type RoleProcess } from '../role-process.js';
import { makeTempDir, removeTempDir } from '../temp-dir.js';
import { containerEnvironment, expand } from './environment.js';
import { materializeVolumes } from './materialize.js';

export interface RunningPod {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  /** containerPort name and number → the host port it was remapped to. */
  hostPorts: Map<string | number, number>;
  process: RoleProcess;
  /** Stops the process, then removes the folder its volumes were materialized in. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface RunPodOptions {
  apiserver: { host: string; port: number };
  hostsFile: string;
}

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export async function runPodLocally(pod: V1Pod, options: RunPodOptions): Promise<RunningPod> {
  const container = pod.spec?.containers[0];
  if (!container) throw new Error(`pod ${pod.metadata?.name} has no container`);
  // The volumes' folder: bind-mounted into the process, so it stays until the process has stopped (stop() below).
  const root = makeTempDir(`pod-${pod.metadata?.name}-`);
  const mounts = await materializeVolumes(pod, root);
  const env = await containerEnvironment(pod, options.apiserver);

  const hostPorts = new Map<string | number, number>();
  for (const port of container.ports ?? []) {
    const host = await freePort();
    hostPorts.set(port.containerPort, host);
    if (port.name) hostPorts.set(port.name, host);
  }
  const args = (container.args ?? []).map((arg) => {
    const expanded = expand(arg, env);
    const flag = /^(--[a-z-]*port)=(\d+)$/.exec(expanded);
    const remapped = flag ? hostPorts.get(Number(flag[2])) : undefined;
    return flag && remapped ? `${flag[1]}=${remapped}` : expanded;
  });

  const script = [
    ...mounts.map(({ mountPath, source }) => `mkdir -p ${shellQuote(mountPath)} && mount --bind -o ro ${shellQuote(source)} ${shellQuote(mountPath)}`),
    `mount --bind ${shellQuote(options.hostsFile)} /etc/hosts`,
    'exec "$@"',
  ].join(' && ');
  // Root gets a private mount namespace directly; anyone else through a user namespace, where the kernel allows it.
  const namespaces = process.getuid?.() === 0 ? ['--mount'] : ['--map-root-user', '--mount'];
  const child = startCommand(`pod/${pod.metadata?.name}`, 'unshare', [...namespaces, '--propagation', 'private', 'sh', '-c', script, 'pod', process.execPath, cliPath, ...args], {
    env: { PATH: process.env.PATH, ...env },
  });
  return {
    name: pod.metadata?.name ?? '',
    namespace: pod.metadata?.namespace ?? '',
    labels: pod.metadata?.labels ?? {},
    hostPorts,
    process: child,
    async stop(signal) {
      const code = await child.stop(signal);
      removeTempDir(root);
      return code;
    },
  };
}
