// The CRD accepts quantities as numbers or strings (like a Pod does); the typed client wants strings.
import type { V1ResourceRequirements } from '@kubernetes/client-node';
import type { ResourceRequirements } from '../api/clusterconnect.js';

const asStrings = (map?: Record<string, string | number>) =>
  map ? Object.fromEntries(Object.entries(map).map(([k, v]) => [k, String(v)])) : undefined;

export function toResourceRequirements(resources?: ResourceRequirements): V1ResourceRequirements | undefined {
  if (!resources) return undefined;
  return { requests: asStrings(resources.requests), limits: asStrings(resources.limits) };
}
