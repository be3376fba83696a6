// A ClusterConnect as the apiserver returns it (defaults applied), for tests of the desired-state builders.
import type { ClusterConnect } from '../../../operator/src/api/clusterconnect.js';

export function sampleClusterConnect(overrides: Partial<ClusterConnect['spec']> = {}): ClusterConnect {
  return {
    apiVersion: 'clusterconnect.io/v1alpha1',
    kind: 'ClusterConnect',
    metadata: { name: 'prod', namespace: 'clusterconnect', uid: '6f1c1a9e-0000-4000-8000-000000000001', generation: 3 },
    spec: {
      clusterName: 'prod-west',
      relay: { url: 'wss://relay.example.com', allowInsecure: false, credentialsSecretRef: { name: 'relay-token', key: 'token' } },
      agent: { replicas: 2 },
      authProxy: {
        replicas: 2,
        oidc: { issuerURL: 'https://login.example.com/tenant/v2.0', audience: 'api://kube', usernameClaim: 'oid', groupsClaim: 'groups' },
        serviceAccountTokens: { enabled: true },
      },
      access: [],
      ...overrides,
    },
  };
}
