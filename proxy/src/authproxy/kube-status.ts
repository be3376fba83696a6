// Error bodies in the shape kubectl understands (a meta/v1 Status), so users see "error: You must be logged
// in to the server (token expired at …)" rather than a bare HTTP error.

export type KubeStatusCode = 400 | 401 | 403 | 431 | 500 | 502 | 503;

export interface KubeStatus {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure';
  message: string;
  reason: 'BadRequest' | 'Unauthorized' | 'Forbidden' | 'RequestHeaderFieldsTooLarge' | 'InternalError' | 'ServiceUnavailable';
  code: KubeStatusCode;
}

const REASONS: Record<KubeStatusCode, KubeStatus['reason']> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  431: 'RequestHeaderFieldsTooLarge',
  500: 'InternalError',
  // Kubernetes has no BadGateway reason; an unreachable apiserver is, to the client, a service outage.
  502: 'ServiceUnavailable',
  503: 'ServiceUnavailable',
};

export function kubeStatus(code: KubeStatusCode, message: string): KubeStatus {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason: REASONS[code], code };
}

/** Status line headers and body ready to write; 401 also tells the client which scheme to use. */
export function kubeStatusResponse(code: KubeStatusCode, message: string): { statusCode: KubeStatusCode; headers: Record<string, string>; body: string } {
  const body = JSON.stringify(kubeStatus(code, message));
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(body)),
    'cache-control': 'no-store',
  };
  if (code === 401) headers['www-authenticate'] = 'Bearer';
  return { statusCode: code, headers, body };
}
