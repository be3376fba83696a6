// Upgrades decide as plain requests do: a client that leaves while the decision waits cancels what it waits on, and
// on the OIDC path a bearer token carried as a WebSocket subprotocol never reaches the apiserver.
import { expect } from 'chai';
import type { IncomingMessage } from 'node:http';
import { PassThrough } from 'node:stream';
import { Registry } from 'prom-client';
import { createAuthenticator } from '../../../proxy/src/authproxy/authenticate.js';
import type { AuthDecision, ClientGone } from '../../../proxy/src/authproxy/authenticate.js';
import { createAuthProxyMetrics } from '../../../proxy/src/authproxy/metrics.js';
import { createOidcVerifier } from '../../../proxy/src/authproxy/oidc-verifier.js';
import type { ProxyContext } from '../../../proxy/src/authproxy/proxy-context.js';
import { createUpgradeHandler } from '../../../proxy/src/authproxy/upgrade-handler.js';
import { captureLogger } from '../tunnel/helpers.js';
import { createLocalIssuer, LOCAL_AUDIENCE, LOCAL_ISSUER } from './local-issuer.js';

const EXEC = '/api/v1/namespaces/a/pods/b/exec';

describe('authproxy/upgrade-handler', () => {
  it('aborts the decision\'s signal when the client leaves while it waits', async () => {
    let signalled: ClientGone | undefined;
    const decided = new Promise<void>((resolve) => {
      const ctx = {
        authenticator: {
          decide: (_headers, clientGone) =>
            new Promise<AuthDecision>((settle) => {
              signalled = clientGone;
              // Waits as a Graph look-up would, until the client is gone.
              clientGone?.signal.addEventListener('abort', () => {
                settle({ kind: 'refuse', mode: 'oidc', status: 503, reason: 'groups_unresolved', message: 'client left' });
                resolve();
              });
            }),
        },
        upstream: {} as ProxyContext['upstream'],
        connections: {} as ProxyContext['connections'],
        metrics: createAuthProxyMetrics(new Registry()),
        logger: captureLogger().logger,
      } satisfies ProxyContext;
      const socket = new PassThrough();
      const req = { method: 'GET', url: EXEC, headers: { authorization: 'Bearer t' }, rawHeaders: ['Authorization', 'Bearer t'], socket: { remoteAddress: '127.0.0.1' } } as unknown as IncomingMessage;
      createUpgradeHandler(ctx)(req, socket, Buffer.alloc(0));
      setImmediate(() => socket.destroy());
    });
    await decided;
    expect(signalled?.signal.aborted).to.equal(true);
  });

  it('drops bearer tokens carried as WebSocket subprotocols on the OIDC path, keeping the others', async () => {
    const issuer = await createLocalIssuer();
    const authenticator = createAuthenticator({ verifiers: [createOidcVerifier({ issuerURL: LOCAL_ISSUER, audience: LOCAL_AUDIENCE, fetch: issuer.fetch })], serviceAccountTokens: false });
    const token = await issuer.mint();
    const protocols = async (...values: string[]) => {
      const rawHeaders = ['Authorization', `Bearer ${token}`, ...values.flatMap((value) => ['Sec-WebSocket-Protocol', value])];
      const decision = await authenticator.decide({ headers: { authorization: `Bearer ${token}`, 'sec-websocket-protocol': values.join(', ') }, rawHeaders });
      if (decision.kind !== 'forward') expect.fail(`expected a forward, got ${JSON.stringify(decision)}`);
      return decision.headers.filter(([name]) => name.toLowerCase() === 'sec-websocket-protocol').map(([, value]) => value);
    };
    expect(await protocols('base64url.bearer.authorization.k8s.io.c2VjcmV0, v5.channel.k8s.io')).to.deep.equal(['v5.channel.k8s.io']);
    expect(await protocols('v5.channel.k8s.io', 'Base64url.Bearer.Authorization.k8s.io.c2VjcmV0')).to.deep.equal(['v5.channel.k8s.io']);
    expect(await protocols('base64url.bearer.authorization.k8s.io.c2VjcmV0')).to.deep.equal([]);
    expect(await protocols()).to.deep.equal([]);
  });
});
