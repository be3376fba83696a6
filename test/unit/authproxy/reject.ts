// Awaits a verification expected to fail and returns its TokenRejected, failing the test otherwise.
import { expect } from 'chai';
import { TokenRejected } from '../../../proxy/src/authproxy/token-rejected.js';

export async function rejection(promise: Promise<unknown>): Promise<TokenRejected> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(TokenRejected);
    return error as TokenRejected;
  }
  expect.fail('expected the token to be rejected');
}
