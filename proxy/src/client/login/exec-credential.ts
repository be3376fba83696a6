// The client.authentication.k8s.io ExecCredential that kubectl reads from an exec plugin's stdout, and the
// KUBERNETES_EXEC_INFO it passes in (which apiVersion it speaks, whether a terminal is attached).
import type { AccessToken } from './access-token.js';

export const EXEC_API_VERSIONS = ['client.authentication.k8s.io/v1', 'client.authentication.k8s.io/v1beta1'] as const;
export type ExecApiVersion = (typeof EXEC_API_VERSIONS)[number];

export interface ExecInfo {
  apiVersion: ExecApiVersion;
  interactive: boolean;
}

/** Reads KUBERNETES_EXEC_INFO; absent means a standalone call (v1, non-interactive). */
export function parseExecInfo(raw: string | undefined): ExecInfo {
  if (!raw) return { apiVersion: 'client.authentication.k8s.io/v1', interactive: false };
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new Error('KUBERNETES_EXEC_INFO is not valid JSON');
  }
  const info = parsed as { apiVersion?: unknown; spec?: { interactive?: unknown } } | null;
  const apiVersion = info?.apiVersion;
  if (!EXEC_API_VERSIONS.includes(apiVersion as ExecApiVersion)) {
    throw new Error(`KUBERNETES_EXEC_INFO asks for apiVersion ${JSON.stringify(apiVersion)}; supported: ${EXEC_API_VERSIONS.join(', ')}`);
  }
  return { apiVersion: apiVersion as ExecApiVersion, interactive: info?.spec?.interactive === true };
}

/** RFC 3339 in UTC without milliseconds, as Go's time.Time unmarshals it. */
function rfc3339(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

export function execCredential(token: AccessToken, info: ExecInfo): string {
  return `${JSON.stringify({
    kind: 'ExecCredential',
    apiVersion: info.apiVersion,
    spec: { interactive: info.interactive },
    status: { expirationTimestamp: rfc3339(token.expiresOn), token: token.token },
  })}\n`;
}
