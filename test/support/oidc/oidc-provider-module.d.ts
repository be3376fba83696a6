// oidc-provider ships no TypeScript declarations; this covers only what the test fixture uses.
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  export interface ResourceServerInfo {
    scope: string;
    audience?: string;
    accessTokenFormat?: 'jwt' | 'opaque';
    accessTokenTTL?: number;
    jwt?: { sign?: { alg?: string; kid?: string } };
  }

  export interface IssuedToken {
    clientId?: string;
    accountId?: string;
  }

  export interface ClientMetadata {
    client_id: string;
    client_secret?: string;
    grant_types?: string[];
    response_types?: string[];
    redirect_uris?: string[];
    token_endpoint_auth_method?: string;
    id_token_signed_response_alg?: string;
    application_type?: string;
    jwks?: { keys: Record<string, unknown>[] };
  }

  export interface Configuration {
    adapter?: new (name: string) => object;
    clients?: ClientMetadata[];
    jwks?: { keys: Record<string, unknown>[] };
    cookies?: { keys?: string[] };
    features?: {
      clientCredentials?: { enabled: boolean };
      introspection?: { enabled: boolean };
      revocation?: { enabled: boolean };
      devInteractions?: { enabled: boolean };
      deviceFlow?: { enabled: boolean };
      resourceIndicators?: {
        enabled: boolean;
        defaultResource?: (ctx: unknown, client: unknown, oneOf?: string[]) => Promise<string | string[] | undefined>;
        useGrantedResource?: (ctx: unknown, model: unknown) => Promise<boolean>;
        getResourceServerInfo?: (ctx: unknown, resourceIndicator: string, client: unknown) => Promise<ResourceServerInfo>;
      };
    };
    extraTokenClaims?: (ctx: unknown, token: IssuedToken) => Promise<Record<string, unknown> | undefined>;
    ttl?: Record<string, number | ((...args: unknown[]) => number)>;
    routes?: Record<string, string>;
    scopes?: string[];
    issueRefreshToken?: (ctx: unknown, client: { grantTypeAllowed(type: string): boolean }, code: unknown) => Promise<boolean>;
    clientAuthMethods?: string[];
    findAccount?: (ctx: unknown, sub: string) => Promise<undefined | { accountId: string; claims: () => Promise<Record<string, unknown>> }>;
  }

  export class Provider {
    constructor(issuer: string, configuration?: Configuration);
    readonly issuer: string;
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
  }

  export const errors: { InvalidTarget: new (description?: string) => Error };

  export default Provider;
}
