// The two Secrets of kube-aad-proxy's PKI: the CA (cert + key, read only by the operator) and the serving
// certificate Secret (kubernetes.io/tls, plus ca.crt for the agent to announce to clients).
import type { V1Secret } from '@kubernetes/client-node';
import type { ClusterConnect } from '../api/clusterconnect.js';
import type { KeyPairPem } from '../pki/certificates.js';
import { ownedMeta } from './meta.js';
import { childNames } from './names.js';

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

/** DNS names the serving certificate must carry: every way a pod can name the Service, the server name first. */
export function authProxyDnsNames(cc: ClusterConnect): string[] {
  const { authProxyService, authProxyServerName } = childNames(cc);
  const ns = cc.metadata.namespace;
  return [authProxyServerName, `${authProxyService}.${ns}.svc.cluster.local`, `${authProxyService}.${ns}`, authProxyService];
}

export function caSecret(cc: ClusterConnect, ca: KeyPairPem): V1Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: ownedMeta(cc, childNames(cc).authProxyCaSecret, 'kube-aad-proxy'),
    type: 'Opaque',
    data: { 'ca.crt': b64(ca.certPem), 'ca.key': b64(ca.keyPem) },
  };
}

export function servingCertificateSecret(cc: ClusterConnect, ca: KeyPairPem, serving: KeyPairPem): V1Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: ownedMeta(cc, childNames(cc).authProxyCertificateSecret, 'kube-aad-proxy'),
    type: 'kubernetes.io/tls',
    data: { 'tls.crt': b64(serving.certPem), 'tls.key': b64(serving.keyPem), 'ca.crt': b64(ca.certPem) },
  };
}

export function decodeSecretData(secret: V1Secret | undefined, key: string): string | undefined {
  const value = secret?.data?.[key];
  return value === undefined ? undefined : Buffer.from(value, 'base64').toString('utf8');
}
