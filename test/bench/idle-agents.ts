// Child process of the tunnel benchmark: holds COUNT idle agent sessions to a relay (lightweight in-process
// WebSocket agents), then waits to be killed. Usage: node idle-agents.js RELAY_URL TOKEN_DIR COUNT CLUSTERS
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLogger } from '../../proxy/src/common/logger.js';
import { dialRelay } from '../../proxy/src/common/relay-dial.js';
import { CLUSTER_INFO_HEADER, encodeClusterInfoHeader } from '../../proxy/src/relay/cluster-info.js';
import type { TunnelSession } from '../../proxy/src/tunnel/session.js';

const [relayUrl = '', tokenDir = '', countText = '1000', clustersText = '100'] = process.argv.slice(2);
const count = Number(countText);
const clusters = Number(clustersText);
const logger = createLogger('idle-agents', { level: 'error' });
const caPem = readFileSync(join(tokenDir, 'upstream-ca.pem'), 'utf8');
const sessions: TunnelSession[] = [];

for (let i = 0; i < count; i += 50) {
  await Promise.all(
    Array.from({ length: Math.min(50, count - i) }, async (_, j) => {
      const cluster = `bench-${(i + j) % clusters}`;
      const session = await dialRelay({
        url: new URL(`${relayUrl}/v1/agent/connect`),
        token: readFileSync(join(tokenDir, `${cluster}.token`), 'utf8').trim(),
        headers: { [CLUSTER_INFO_HEADER]: encodeClusterInfoHeader({ cluster, caBundlePem: caPem, tlsServerName: 'localhost', authModes: ['oidc'] }) },
        logger,
      });
      sessions.push(session);
    }),
  );
}
process.stdout.write(`connected ${sessions.length}\n`);
setInterval(() => undefined, 60_000);
