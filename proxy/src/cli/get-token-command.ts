// `clusterconnect get-token`: the kubectl exec credential plugin. Prints one ExecCredential with a fresh access
// token (cached, or refreshed silently) on stdout — its only output; it never prompts. A missing or expired
// sign-in is one line on stderr naming the login command, which kubectl shows to the user.
import type { Command } from 'commander';
import { acquireToken } from '../client/login/acquire-token.js';
import { tokenCachePath } from '../client/login/config-dir.js';
import { execCredential, parseExecInfo } from '../client/login/exec-credential.js';
import type { LoginTargetFlags } from '../client/login/login-target.js';
import { TokenCacheFile } from '../client/login/token-cache.js';
import { parseFlags } from './flag-helpers.js';
import { addLoginTargetOptions, hasTargetFlags, loginTargetFromFlags } from './login-target-options.js';

const GET_TOKEN_HELP = `
Used from a kubeconfig user entry (clusterconnect proxy writes it):
  exec:
    apiVersion: client.authentication.k8s.io/v1
    command: clusterconnect
    args: [get-token, --authority, https://..., --client-id, ..., --scope, ...]
Without target flags the most recent login is used. KUBERNETES_EXEC_INFO (set by kubectl) selects the
ExecCredential apiVersion (v1 or v1beta1).

Exit codes:
  0  an ExecCredential was printed
  1  no token: not logged in, sign-in expired, issuer unreachable, unreadable token cache (one line on stderr)
  2  invalid command line`;

export function registerGetTokenCommand(program: Command): void {
  const cmd = program
    .command('get-token')
    .description('print an ExecCredential with a fresh access token for kubectl (exec credential plugin)')
    .addHelpText('after', GET_TOKEN_HELP);
  addLoginTargetOptions(cmd).action(async (flags: LoginTargetFlags, command: Command) => {
    const info = parseFlags(command, () => parseExecInfo(process.env.KUBERNETES_EXEC_INFO));
    const target = hasTargetFlags(flags) ? loginTargetFromFlags(command, flags) : undefined;
    const token = await acquireToken({ cache: new TokenCacheFile(tokenCachePath()), ...(target ? { target } : {}) });
    process.stdout.write(execCredential(token, info));
  });
}
