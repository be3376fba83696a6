// Writes a Pod's volumes to a folder, as the kubelet would: Secrets, ConfigMaps, emptyDirs and the projected
// service-account volume, whose token comes from the TokenRequest API bound to this Pod.
import type { V1Pod, V1Volume } from '@kubernetes/client-node';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { kubectlOk } from '../cluster.js';

interface KeyToPath { key: string; path: string; mode?: number }

async function dataOf(kind: 'secret' | 'configmap', namespace: string, name: string): Promise<Record<string, Buffer>> {
  const object = JSON.parse(await kubectlOk(['get', kind, name, '-n', namespace, '-o', 'json'])) as { data?: Record<string, string> };
  return Object.fromEntries(
    Object.entries(object.data ?? {}).map(([k, v]) => [k, kind === 'secret' ? Buffer.from(v, 'base64') : Buffer.from(v, 'utf8')]),
  );
}

async function writeItems(dir: string, data: Record<string, Buffer>, items: KeyToPath[] | undefined, mode: number): Promise<void> {
  const chosen: KeyToPath[] = items ?? Object.keys(data).map((key) => ({ key, path: key }));
  for (const item of chosen) {
    const value = data[item.key];
    if (value === undefined) throw new Error(`key ${item.key} is missing`);
    const file = join(dir, item.path);
    await mkdir(join(file, '..'), { recursive: true });
    await writeFile(file, value, { mode: item.mode ?? mode });
  }
}

function fieldValue(pod: V1Pod, fieldPath: string): string {
  switch (fieldPath) {
    case 'metadata.name': return pod.metadata?.name ?? '';
    case 'metadata.namespace': return pod.metadata?.namespace ?? '';
    case 'metadata.uid': return pod.metadata?.uid ?? '';
    case 'spec.nodeName': return pod.spec?.nodeName ?? '';
    case 'spec.serviceAccountName': return pod.spec?.serviceAccountName ?? 'default';
    case 'status.podIP': return '127.0.0.1';
    default: throw new Error(`fieldRef ${fieldPath} is not supported by the local pod runner`);
  }
}

async function boundToken(pod: V1Pod, expirationSeconds: number, audience?: string): Promise<string> {
  const args = ['create', 'token', pod.spec?.serviceAccountName ?? 'default', '-n', pod.metadata?.namespace ?? '',
    '--bound-object-kind', 'Pod', '--bound-object-name', pod.metadata?.name ?? '', '--bound-object-uid', pod.metadata?.uid ?? '',
    '--duration', `${expirationSeconds}s`];
  if (audience) args.push('--audience', audience);
  return (await kubectlOk(args)).trim();
}

async function materializeVolume(pod: V1Pod, volume: V1Volume, dir: string): Promise<void> {
  const namespace = pod.metadata?.namespace ?? '';
  await mkdir(dir, { recursive: true });
  if (volume.secret) {
    await writeItems(dir, await dataOf('secret', namespace, volume.secret.secretName ?? ''), volume.secret.items, volume.secret.defaultMode ?? 0o644);
  } else if (volume.configMap) {
    await writeItems(dir, await dataOf('configmap', namespace, volume.configMap.name ?? ''), volume.configMap.items, volume.configMap.defaultMode ?? 0o644);
  } else if (volume.projected) {
    for (const source of volume.projected.sources ?? []) {
      if (source.serviceAccountToken) {
        const token = await boundToken(pod, source.serviceAccountToken.expirationSeconds ?? 3600, source.serviceAccountToken.audience);
        await writeFile(join(dir, source.serviceAccountToken.path), token, { mode: 0o600 });
      } else if (source.configMap) {
        await writeItems(dir, await dataOf('configmap', namespace, source.configMap.name ?? ''), source.configMap.items, 0o644);
      } else if (source.secret) {
        await writeItems(dir, await dataOf('secret', namespace, source.secret.name ?? ''), source.secret.items, 0o644);
      } else if (source.downwardAPI) {
        for (const item of source.downwardAPI.items ?? []) {
          if (item.fieldRef) await writeFile(join(dir, item.path), fieldValue(pod, item.fieldRef.fieldPath));
        }
      }
    }
  } else if (!volume.emptyDir) {
    throw new Error(`volume ${volume.name}: only secret, configMap, projected and emptyDir volumes are supported by the local pod runner`);
  }
}

/** Materializes every volume under root/<volume name> and returns mountPath → folder for the container. */
export async function materializeVolumes(pod: V1Pod, root: string): Promise<{ mountPath: string; source: string }[]> {
  const folders = new Map<string, string>();
  for (const volume of pod.spec?.volumes ?? []) {
    const dir = join(root, volume.name);
    await materializeVolume(pod, volume, dir);
    folders.set(volume.name, dir);
  }
  const container = pod.spec?.containers[0];
  return (container?.volumeMounts ?? []).map((mount) => {
    const folder = folders.get(mount.name);
    if (!folder) throw new Error(`volumeMount ${mount.name} names no volume`);
    return { mountPath: mount.mountPath, source: mount.subPath ? join(folder, mount.subPath) : folder };
  });
}

export { fieldValue };
