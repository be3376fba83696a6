// Cluster names appear in URL paths, token claims and log lines: keep them to Kubernetes object-name syntax.
const CLUSTER_NAME = /^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/;

export function isValidClusterName(name: string): boolean {
  return CLUSTER_NAME.test(name);
}

export function checkClusterName(name: string): string {
  if (!isValidClusterName(name)) {
    throw new Error(`cluster name ${JSON.stringify(name.slice(0, 80))} is not valid: use lower-case letters, digits, '-' and '.', starting and ending with a letter or digit (at most 253 characters)`);
  }
  return name;
}
