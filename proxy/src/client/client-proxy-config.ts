// Settings of the client proxy core; cluster-proxy.ts fills them in from the command line and the relay credential.
export interface ClientProxyConfig {
  cluster: string;
  /** Base URL of the relay, e.g. wss://relay.example.com. */
  relayUrl: URL;
  /** Returns the current client token (read on every dial, so a refreshed token is used on reconnect). */
  token: () => Promise<string>;
  relayCaPem?: string;
  /** The CLI's default is 127.0.0.1:47011, as `az connectedk8s proxy`'s. */
  listenHost: string;
  listenPort: number;
  /** How long a new connection waits for a relay session before it is refused. */
  sessionWaitMs: number;
}

export const DEFAULT_CLIENT_PROXY_PORT = 47011;
