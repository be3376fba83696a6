// A small stand-in for kube-proxy and cluster DNS: each Service gets a loopback address (127.0.0.10, .11, …, unique
// among the instances open in this process) that listens on the Service's ports and forwards to the local pods
// behind it, round robin; a hosts file maps the Service's DNS names to that address (the pod runner mounts it as the
// pods' /etc/hosts). With `kernel` forwarding the address forwards through iptables DNAT instead of a userspace
// listener (kernel-service.ts).
import type { V1Service } from '@kubernetes/client-node';
import { readFileSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { makeTempDir, removeTempDir } from '../temp-dir.js';
import { KernelServicePort, removeStaleKernelServices } from './kernel-service.js';

export interface Endpoint { host: string; port: number }

/** userspace: a Node listener per Service port (the default: no privileges needed); kernel: iptables DNAT. */
export type ServiceForwarding = 'userspace' | 'kernel';

/** The last octets of the loopback addresses held by every open LocalServices in this process: two instances at
 *  once (say two systems in one test run) must not both forward 127.0.0.10. Released on close. */
const addressesInUse = new Set<number>();
function takeAddress(): number {
  let octet = 10;
  while (addressesInUse.has(octet)) octet++;
  if (octet > 254) throw new Error('LocalServices: no loopback address left (127.0.0.10-254 all in use)');
  addressesInUse.add(octet);
  return octet;
}

export class LocalServices {
  readonly hostsFile: string;
  private readonly servers: Server[] = [];
  private readonly kernelPorts: KernelServicePort[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly entries: string[] = [];
  private readonly addresses: number[] = [];

  constructor(private readonly forwarding: ServiceForwarding = 'userspace') {
    if (forwarding === 'kernel') removeStaleKernelServices();
    this.hostsFile = join(makeTempDir('cc-hosts-'), 'hosts');
    this.writeHosts();
  }

  /** Exposes the Service; `endpoints(targetPort)` returns where its pods listen now. */
  async expose(service: V1Service, endpoints: (targetPort: string | number) => Endpoint[]): Promise<string> {
    const octet = takeAddress();
    this.addresses.push(octet);
    const address = `127.0.0.${octet}`;
    const name = service.metadata?.name ?? '';
    const namespace = service.metadata?.namespace ?? '';
    for (const port of service.spec?.ports ?? []) {
      if (this.forwarding === 'kernel') {
        this.kernelPorts.push(new KernelServicePort(address, port.port, () => endpoints(port.targetPort ?? port.port)));
        continue;
      }
      let turn = 0;
      const server = createServer((client) => {
        const targets = endpoints(port.targetPort ?? port.port);
        const target = targets[turn++ % Math.max(targets.length, 1)];
        if (!target) {
          client.destroy();
          return;
        }
        const upstream = connect(target.port, target.host);
        // kube-proxy forwards in the kernel; a userspace stand-in must not add Nagle's delay on top.
        client.setNoDelay(true);
        upstream.setNoDelay(true);
        for (const socket of [client, upstream]) {
          this.sockets.add(socket);
          socket.on('close', () => this.sockets.delete(socket));
          socket.on('error', () => { client.destroy(); upstream.destroy(); });
        }
        client.pipe(upstream).pipe(client);
      });
      await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port.port, address, resolve));
      this.servers.push(server);
    }
    this.entries.push(`${address} ${name}.${namespace}.svc.cluster.local ${name}.${namespace}.svc ${name}.${namespace}`);
    this.writeHosts();
    return address;
  }

  /** Stops forwarding and removes the hosts file: close only after the pods that mount it have stopped. */
  async close(): Promise<void> {
    for (const port of this.kernelPorts.splice(0)) port.close();
    for (const socket of this.sockets) socket.destroy();
    await Promise.all(this.servers.map((s) => new Promise((resolve) => s.close(resolve))));
    for (const octet of this.addresses.splice(0)) addressesInUse.delete(octet);
    removeTempDir(dirname(this.hostsFile));
  }

  // Rewritten in place (same inode), so a hosts file already bind-mounted into a pod sees new Services.
  private writeHosts(): void {
    writeFileSync(this.hostsFile, `${readFileSync('/etc/hosts', 'utf8').trimEnd()}\n# ClusterConnect e2e Services\n${this.entries.join('\n')}\n`);
  }
}
