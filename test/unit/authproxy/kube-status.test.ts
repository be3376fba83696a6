import { expect } from 'chai';
import { kubeStatus, kubeStatusResponse } from '../../../proxy/src/authproxy/kube-status.js';
import { TokenRejected } from '../../../proxy/src/authproxy/token-rejected.js';

describe('authproxy/kube-status', () => {
  it('builds a meta/v1 Status for 401, 403, 431 and 503', () => {
    expect(kubeStatus(401, 'token expired at 2026-11-22T10:00:00Z')).to.deep.equal({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'token expired at 2026-11-22T10:00:00Z',
      reason: 'Unauthorized',
      code: 401,
    });
    expect(kubeStatus(403, 'x').reason).to.equal('Forbidden');
    expect(kubeStatus(431, 'x').reason).to.equal('RequestHeaderFieldsTooLarge');
    expect(kubeStatus(503, 'x').reason).to.equal('ServiceUnavailable');
  });

  it('gives a ready response with JSON headers, and WWW-Authenticate on 401 only', () => {
    const response = kubeStatusResponse(401, 'no bearer token was presented');
    expect(response.statusCode).to.equal(401);
    expect(JSON.parse(response.body)).to.include({ kind: 'Status', code: 401 });
    expect(response.headers).to.include({ 'content-type': 'application/json', 'www-authenticate': 'Bearer', 'content-length': String(response.body.length) });
    expect(kubeStatusResponse(503, 'down').headers).not.to.have.property('www-authenticate');
  });

  it('maps a TokenRejected to 401, or 503 when the issuer is unreachable', () => {
    expect(new TokenRejected('expired', 'x').httpStatus).to.equal(401);
    expect(new TokenRejected('issuer_unreachable', 'x').httpStatus).to.equal(503);
  });
});
