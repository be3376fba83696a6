// The running proxy against a fake apiserver that records exactly what reached it: header rewriting on both
// paths, the in-cluster token re-read, unbuffered streaming, upgrades (101 piped both ways; anything else relayed
// and closed, so no second request can ride the connection), and bad peers that must not hurt the server.
import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { createServer, request } from 'node:https';
import type { Server } from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect as tcpConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { TLSSocket } from 'node:tls';
import { startAuthProxy } from '../../../proxy/src/authproxy/start.js';
import type { RunningAuthProxy } from '../../../proxy/src/authproxy/start.js';
import { httpsCall } from '../../support/https-call.js';
import { createSelfSignedCertificate } from '../../support/oidc/self-signed-cert.js';
import { captureLogger } from '../tunnel/helpers.js';
import { createLocalIssuer, LOCAL_AUDIENCE, LOCAL_ISSUER } from './local-issuer.js';
import type { LocalIssuer } from './local-issuer.js';
import { localProxyConfig, writeLocalProxyFiles } from './local-proxy-config.js';
import type { LocalProxyFiles } from './local-proxy-config.js';

interface Seen {
  method: string;
  url: string;
  rawHeaders: string[];
  clientCert: boolean;
}

describe('authproxy server (fake apiserver upstream)', function () {
  this.timeout(15_000);
  let issuer: LocalIssuer;
  let upstream: Server;
  let proxy: RunningAuthProxy;
  let proxyCa: string;
  let files: LocalProxyFiles;
  const seen: Seen[] = [];
  let streamGate: (() => void) | undefined;
  const { logger, lines: logs } = captureLogger();

  const header = (s: Seen, name: string) => {
    const out: string[] = [];
    for (let i = 0; i < s.rawHeaders.length; i += 2) if (s.rawHeaders[i]?.toLowerCase() === name.toLowerCase()) out.push(s.rawHeaders[i + 1] ?? '');
    return out;
  };
  const record = (req: IncomingMessage) => {
    const entry = { method: req.method ?? '', url: req.url ?? '', rawHeaders: req.rawHeaders, clientCert: (req.socket as TLSSocket).getPeerCertificate?.()?.subject !== undefined };
    seen.push(entry);
    return entry;
  };

  before(async () => {
    issuer = await createLocalIssuer();
    const upstreamTls = await createSelfSignedCertificate('fake-apiserver.test');
    upstream = createServer({ cert: upstreamTls.certPem, key: upstreamTls.keyPem, requestCert: true, rejectUnauthorized: false }, (req, res) => {
      record(req);
      if (req.url?.startsWith('/idle-watch')) {
        // A watch with no event yet: only the head goes out, chunked, and then nothing until the gate opens.
        res.writeHead(200, { 'content-type': 'application/json' });
        res.flushHeaders();
        streamGate = () => res.end('{"type":"ADDED"}\n');
        return;
      }
      if (req.url?.startsWith('/stream')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"type":"ADDED"}\n');
        // The second event is written only after the client has seen the first: a buffering proxy deadlocks here.
        streamGate = () => res.end('{"type":"DELETED"}\n');
        return;
      }
      if (req.url?.startsWith('/echo-body')) {
        // The body as it arrived, and how it was framed, so tests see what the proxy forwarded.
        let body = '';
        req.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
        req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ body, contentLength: req.headers['content-length'] ?? null, transferEncoding: req.headers['transfer-encoding'] ?? null })));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json', connection: 'keep-alive, x-upstream-private', 'x-upstream-private': 'hop' });
      res.end('{"ok":true}');
    });
    upstream.on('upgrade', (req: IncomingMessage, socket) => {
      record(req);
      if (req.url?.includes('refuse')) {
        const body = '{"kind":"Status","code":403}';
        socket.write(`HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
        return; // left open, as a keep-alive apiserver would
      }
      socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Protocol: v5.channel.k8s.io\r\n\r\n');
      socket.pipe(socket);
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));

    files = await writeLocalProxyFiles({ upstreamCaPem: upstreamTls.certPem, token: 'proxy-sa-token-1' });
    proxyCa = files.proxyCa;
    proxy = await startAuthProxy(
      localProxyConfig(files, {
        upstreamPort: (upstream.address() as AddressInfo).port,
        upstreamRefreshMs: 50,
        oidc: [{ issuerURL: LOCAL_ISSUER, audience: LOCAL_AUDIENCE, fetch: issuer.fetch }],
        drainMs: 200,
        logger,
      }),
    );
  });

  after(async () => {
    await proxy?.close();
    upstream?.closeAllConnections();
    await new Promise<void>((resolve) => (upstream ? upstream.close(() => resolve()) : resolve()));
    files?.remove();
  });

  const call = (path: string, headers: [string, string][]) => httpsCall(`${proxy.url}${path}`, { ca: proxyCa, headers });

  it('forwards an OIDC request with only the validated identity and the proxy\'s own token', async () => {
    const token = await issuer.mint({ groups: ['group-1', 'group-2'] });
    const result = await call('/api/v1/pods?limit=1', [
      ['Authorization', `Bearer ${token}`],
      ['X-Forwarded-For', '203.0.113.1'],
      ['X-Remote-User', 'system:admin'],
      ['Accept', 'application/json'],
    ]);
    expect(result.status).to.equal(200);
    expect(result.headers).not.to.have.property('x-upstream-private'); // named in the upstream's Connection
    const got = seen.at(-1) as Seen;
    expect(got.url).to.equal('/api/v1/pods?limit=1');
    expect(header(got, 'authorization')).to.deep.equal(['Bearer proxy-sa-token-1']);
    expect(header(got, 'impersonate-user')).to.deep.equal(['user-oid-1']);
    expect(header(got, 'impersonate-group')).to.deep.equal(['group-1', 'group-2']);
    expect(header(got, 'impersonate-extra-clusterconnect.io%2Ftid')).to.deep.equal(['tenant-a']);
    expect(header(got, 'x-forwarded-for')).to.deep.equal([]);
    expect(header(got, 'x-remote-user')).to.deep.equal([]);
    expect(header(got, 'accept')).to.deep.equal(['application/json']);
    expect(header(got, 'host')).to.deep.equal([`127.0.0.1:${(upstream.address() as AddressInfo).port}`]);
  });

  it('re-reads the service-account token file (the kubelet rotates it)', async () => {
    writeFileSync(files.tokenFile, 'proxy-sa-token-2\n');
    await new Promise((resolve) => setTimeout(resolve, 200));
    await call('/api/v1/pods', [['Authorization', `Bearer ${await issuer.mint()}`]]);
    expect(header(seen.at(-1) as Seen, 'authorization')).to.deep.equal(['Bearer proxy-sa-token-2']);
  });

  it('passes other bearer tokens through unchanged, Impersonate-* included, with no proxy credentials', async () => {
    await call('/api/v1/pods', [['Authorization', 'Bearer some-service-account-token'], ['Impersonate-User', 'someone']]);
    const got = seen.at(-1) as Seen;
    expect(header(got, 'authorization')).to.deep.equal(['Bearer some-service-account-token']);
    expect(header(got, 'impersonate-user')).to.deep.equal(['someone']);
    expect(got.clientCert).to.equal(false);
  });

  it('drops client forwarding headers on both paths, so the apiserver audits the proxy as the source', async () => {
    const forwarding: [string, string][] = [
      ['X-Forwarded-For', '203.0.113.9'],
      ['Forwarded', 'for=203.0.113.9'],
      ['X-Forwarded-Host', 'spoofed.test'],
      ['X-Forwarded-Proto', 'http'],
      ['X-Real-Ip', '203.0.113.9'],
    ];
    const forwardingLeft = (s: Seen) => forwarding.flatMap(([name]) => header(s, name));
    for (const bearer of [await issuer.mint(), 'some-service-account-token']) {
      const result = await call('/api/v1/pods', [['Authorization', `Bearer ${bearer}`], ...forwarding, ['Accept', 'application/json']]);
      expect(result.status).to.equal(200);
      const got = seen.at(-1) as Seen;
      expect(forwardingLeft(got), bearer === 'some-service-account-token' ? 'passthrough' : 'oidc').to.deep.equal([]);
      expect(header(got, 'accept')).to.deep.equal(['application/json']);
    }
  });

  it('forwards request bodies framed by Content-Length or chunked, and a bodiless request with no body and no framing', async () => {
    const token = await issuer.mint();
    const post = (headers: Record<string, string>, chunks: string[]) =>
      new Promise<{ body: string; contentLength: string | null; transferEncoding: string | null }>((resolve, reject) => {
        const req = request(`${proxy.url}/echo-body`, { method: 'POST', ca: proxyCa, headers: { Authorization: `Bearer ${token}`, ...headers } }, (res) => {
          let text = '';
          res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
          res.on('end', () => resolve(JSON.parse(text) as { body: string; contentLength: string | null; transferEncoding: string | null }));
        });
        req.on('error', reject);
        for (const chunk of chunks) req.write(chunk);
        req.end();
      });
    expect(await post({ 'Content-Length': '10' }, ['{"a":', '"b"}', '\n'])).to.deep.equal({ body: '{"a":"b"}\n', contentLength: '10', transferEncoding: null });
    expect(await post({}, ['first,', 'second'])).to.deep.equal({ body: 'first,second', contentLength: null, transferEncoding: 'chunked' });
    const bodiless = await call('/echo-body', [['Authorization', `Bearer ${token}`]]);
    expect(JSON.parse(bodiless.body)).to.deep.equal({ body: '', contentLength: null, transferEncoding: null });
  });

  it('counts requests and upstream latencies as prom-client would, on every scrape', async () => {
    const count = (text: string, pattern: RegExp) => Number(pattern.exec(text)?.[1] ?? 0);
    const requests = /clusterconnect_authproxy_requests_total\{code="200",auth_mode="passthrough",upgrade="no"\} (\d+)/;
    const latencies = /clusterconnect_authproxy_upstream_latency_seconds_count\{auth_mode="passthrough"\} (\d+)/;
    const before = await proxy.registry.metrics();
    for (let i = 0; i < 3; i++) await call('/api/v1/pods', [['Authorization', 'Bearer some-service-account-token']]);
    await new Promise((resolve) => setTimeout(resolve, 20)); // the audit and count happen when the response closes
    const after = await proxy.registry.metrics();
    expect(count(after, requests) - count(before, requests)).to.equal(3);
    expect(count(after, latencies) - count(before, latencies)).to.equal(3);
    // A second scrape with no traffic in between reads the same totals: nothing is counted twice.
    expect(count(await proxy.registry.metrics(), requests)).to.equal(count(after, requests));
  });

  it('verifies an OIDC token once per 10 s by default, and still forwards, audits and counts every request', async () => {
    const count = (text: string, pattern: RegExp) => Number(pattern.exec(text)?.[1] ?? 0);
    const hits = /clusterconnect_authproxy_token_cache_lookups_total\{result="hit"\} (\d+)/;
    const misses = /clusterconnect_authproxy_token_cache_lookups_total\{result="miss"\} (\d+)/;
    const requests = /clusterconnect_authproxy_requests_total\{code="200",auth_mode="oidc",upgrade="no"\} (\d+)/;
    const token = await issuer.mint({ oid: 'cached-user' });
    const before = await proxy.registry.metrics();
    const seenBefore = seen.length;
    for (let i = 0; i < 3; i++) expect((await call('/api/v1/pods', [['Authorization', `Bearer ${token}`]])).status).to.equal(200);
    await new Promise((resolve) => setTimeout(resolve, 20)); // the audit and count happen when the response closes
    const after = await proxy.registry.metrics();
    expect(count(after, misses) - count(before, misses)).to.equal(1);
    expect(count(after, hits) - count(before, hits)).to.equal(2);
    expect(count(after, requests) - count(before, requests)).to.equal(3);
    expect(seen.slice(seenBefore).map((s) => header(s, 'impersonate-user'))).to.deep.equal([['cached-user'], ['cached-user'], ['cached-user']]);
    expect(logs.filter((line) => line.includes('"audit":true') && line.includes('"user":"cached-user"'))).to.have.length(3);
  });

  it('streams a response chunk by chunk (a watch is not buffered)', async () => {
    const token = await issuer.mint();
    const text = await new Promise<string>((resolve, reject) => {
      const req = request(`${proxy.url}/stream?watch=true`, { ca: proxyCa, headers: { Authorization: `Bearer ${token}` } }, (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => {
          body += chunk.toString();
          if (body.includes('ADDED') && !body.includes('DELETED')) streamGate?.();
        });
        res.on('end', () => resolve(body));
      });
      req.on('error', reject);
      req.end();
    });
    expect(text).to.equal('{"type":"ADDED"}\n{"type":"DELETED"}\n');
  });

  it('passes the head of a chunked response on at once, before any body (an idle watch)', async () => {
    const token = await issuer.mint();
    const body = await new Promise<string>((resolve, reject) => {
      const req = request(`${proxy.url}/idle-watch?watch=true`, { ca: proxyCa, headers: { Authorization: `Bearer ${token}` } }, (res) => {
        expect(res.statusCode).to.equal(200);
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve(text));
        // Only now, with the head in hand, does the upstream send its first event: a held head would hang here.
        streamGate?.();
      });
      req.on('error', reject);
      req.end();
    });
    expect(body).to.equal('{"type":"ADDED"}\n');
  });

  const rawUpgrade = (path: string, token: string, after = '') =>
    new Promise<{ socket: TLSSocket; received: () => string }>((resolve) => {
      let received = '';
      const socket = tlsConnect({ host: '127.0.0.1', port: proxy.port, ca: proxyCa, servername: 'localhost' }, () => {
        socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Protocol: v5.channel.k8s.io\r\n\r\n${after}`);
        resolve({ socket, received: () => received });
      });
      socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
      socket.on('error', () => undefined);
    });

  it('pipes an upgraded connection both ways after the apiserver\'s 101', async () => {
    const { socket, received } = await rawUpgrade('/api/v1/namespaces/a/pods/b/exec', await issuer.mint());
    await waitUntil(() => received().includes('101 Switching Protocols'));
    expect(header(seen.at(-1) as Seen, 'impersonate-user')).to.deep.equal(['user-oid-1']);
    socket.write('ping-through-the-tunnel');
    await waitUntil(() => received().includes('ping-through-the-tunnel'));
    expect(received()).to.contain('Sec-WebSocket-Protocol: v5.channel.k8s.io');
    socket.destroy();
  });

  it('relays a refused upgrade and closes: a pipelined second request never reaches the apiserver', async () => {
    const before = seen.length;
    const smuggled = 'GET /api/v1/secrets HTTP/1.1\r\nHost: x\r\nImpersonate-User: system:admin\r\n\r\n';
    const { socket, received } = await rawUpgrade('/api/v1/namespaces/a/pods/refuse/exec', await issuer.mint(), smuggled);
    await new Promise<void>((resolve) => socket.on('close', () => resolve()));
    expect(received()).to.match(/^HTTP\/1\.1 403 Forbidden\r\n/);
    expect(received()).to.contain('{"kind":"Status","code":403}');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(seen.length - before).to.equal(1);
    expect(seen.some((s) => s.url === '/api/v1/secrets')).to.equal(false);
  });

  it('survives bad peers: garbage, a broken TLS handshake, a reset mid-request', async () => {
    await new Promise<void>((resolve) => {
      const raw = tcpConnect(proxy.port, '127.0.0.1', () => raw.end('\x16\x03\x01 definitely not TLS\r\n\r\n'));
      raw.on('error', () => undefined);
      raw.on('close', () => resolve());
    });
    await new Promise<void>((resolve) => {
      const socket = tlsConnect({ host: '127.0.0.1', port: proxy.port, ca: proxyCa, servername: 'localhost' }, () => socket.end('NOT HTTP AT ALL\r\n\r\n'));
      socket.on('data', () => undefined);
      socket.on('error', () => undefined);
      socket.on('close', () => resolve());
    });
    await new Promise<void>((resolve) => {
      const socket = tlsConnect({ host: '127.0.0.1', port: proxy.port, ca: proxyCa, servername: 'localhost' }, () => {
        socket.write('GET /api/v1/pods HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ');
        setTimeout(() => socket.destroy(), 20);
      });
      socket.on('error', () => undefined);
      socket.on('close', () => resolve());
    });
    expect((await call('/api/v1/pods', [['Authorization', `Bearer ${await issuer.mint()}`]])).status).to.equal(200);
  });

  it('negotiates http/1.1 only over ALPN', async () => {
    const protocol = await new Promise<string | false | null>((resolve, reject) => {
      const socket = tlsConnect({ host: '127.0.0.1', port: proxy.port, ca: proxyCa, servername: 'localhost', ALPNProtocols: ['h2', 'http/1.1'] }, () => {
        resolve(socket.alpnProtocol ?? null);
        socket.destroy();
      });
      socket.on('error', reject);
    });
    expect(protocol).to.equal('http/1.1');
  });

  it('never writes a token into its log', () => {
    const all = logs.join('');
    expect(all).to.contain('"audit":true');
    expect(all).not.to.contain('proxy-sa-token');
    expect(all).not.to.contain('some-service-account-token');
    expect(all).not.to.match(/eyJ[\w-]+\.eyJ/);
  });
});

async function waitUntil(check: () => boolean, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('authproxy server URL (a wildcard listener)', function () {
  this.timeout(15_000);
  let files: LocalProxyFiles;

  before(async () => {
    files = await writeLocalProxyFiles();
  });

  after(() => files?.remove());

  /** The URL a proxy listening on `listenHost` reports, and whether a TLS client reaches it there. */
  const reported = async (listenHost: string): Promise<{ url: string; port: number; reached: boolean }> => {
    const proxy = await startAuthProxy(localProxyConfig(files, { listenHost }));
    try {
      const { hostname } = new URL(proxy.url);
      const reached = await new Promise<boolean>((resolve) => {
        const socket = tlsConnect({ host: hostname.replace(/^\[|\]$/g, ''), port: proxy.port, ca: files.proxyCa, servername: 'localhost' }, () => {
          socket.destroy();
          resolve(true);
        });
        socket.on('error', () => resolve(false));
      });
      return { url: proxy.url, port: proxy.port, reached };
    } finally {
      await proxy.close();
    }
  };

  it('reports loopback of the same family, which reaches it', async () => {
    const v4 = await reported('0.0.0.0');
    expect(v4).to.deep.equal({ url: `https://127.0.0.1:${v4.port}`, port: v4.port, reached: true });
    const v6 = await reported('::');
    expect(v6).to.deep.equal({ url: `https://[::1]:${v6.port}`, port: v6.port, reached: true });
  });
});
