// The flags that name a login target, shared by `login`, `logout` and `get-token` so the kubeconfig's get-token
// arguments and the login command line are the same words.
import { Option } from 'commander';
import type { Command } from 'commander';
import { resolveLoginTarget } from '../client/login/login-target.js';
import type { LoginTarget, LoginTargetFlags } from '../client/login/login-target.js';
import { collect, parseFlags } from './flag-helpers.js';

export function addLoginTargetOptions(command: Command): Command {
  return command
    .option('--authority <url>', 'OpenID issuer URL (any OIDC provider); default: Entra ID, https://login.microsoftonline.com/<tenant>')
    .option('--tenant <id>', 'Entra tenant id or domain (default: organizations)')
    .option('--client-id <id>', 'OAuth client id (default for Entra: the Azure CLI public client)')
    .option('--scope <scope>', 'API scope to request, repeatable (default for Entra: api://kube-aad-proxy/.default)', collect)
    .option('--audience <aud>', 'API audience / RFC 8707 resource, for issuers that scope tokens by resource')
    .option('--authority-ca-file <file>', 'PEM CA bundle to trust for the issuer, in addition to the system roots')
    .addOption(new Option('--issuer-kind <kind>', 'client to sign in with: entra (msal-node) or oidc (openid-client); default: by the authority host').choices(['entra', 'oidc']));
}

/** Whether any target flag was given (without any, get-token uses the most recent login). */
export function hasTargetFlags(flags: LoginTargetFlags): boolean {
  return [flags.authority, flags.tenant, flags.clientId, flags.scope, flags.audience, flags.issuerKind].some((v) => v !== undefined);
}

export function loginTargetFromFlags(command: Command, flags: LoginTargetFlags): LoginTarget {
  return parseFlags(command, () => resolveLoginTarget(flags));
}
