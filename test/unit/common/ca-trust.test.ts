import { expect } from 'chai';
import { getCACertificates } from 'node:tls';
import { defaultRootsPlus } from '../../../proxy/src/common/ca-trust.js';

describe('common/ca-trust', () => {
  it("keeps every one of Node's default roots (NODE_EXTRA_CA_CERTS included) and adds the bundle after them", () => {
    const defaults = getCACertificates('default');
    expect(defaults.length, 'Node has default roots to keep').to.be.greaterThan(50);
    const extra = '-----BEGIN CERTIFICATE-----\nprivate\n-----END CERTIFICATE-----\n';
    expect(defaultRootsPlus(extra)).to.deep.equal([...defaults, extra]);
    expect(defaultRootsPlus(Buffer.from(extra), undefined, '')).to.deep.equal([...defaults, extra]);
    expect(defaultRootsPlus()).to.deep.equal(defaults);
  });
});
