// `clusterconnect login` and `clusterconnect logout`.
import { Option } from 'commander';
import type { Command } from 'commander';
import type { DeviceCodeInfo } from '../client/login/access-token.js';
import { tokenCachePath } from '../client/login/config-dir.js';
import { login } from '../client/login/login.js';
import type { LoginResult } from '../client/login/login.js';
import type { LoginTargetFlags } from '../client/login/login-target.js';
import { logout } from '../client/login/logout.js';
import { TokenCacheFile } from '../client/login/token-cache.js';
import type { LoginMethod } from '../client/login/token-cache.js';
import { parseFlags } from './flag-helpers.js';
import { addLoginTargetOptions, hasTargetFlags, loginTargetFromFlags } from './login-target-options.js';
import { startProgress } from './tty-progress.js';

type OutputFormat = 'table' | 'json';

interface LoginFlags extends LoginTargetFlags {
  clientSecretFile?: string;
  certificateFile?: string;
  federatedTokenFile?: string;
  output: OutputFormat;
}

const LOGIN_HELP = `
Sign-in methods:
  (default)                  device code: open the URL shown, enter the code, sign in
  --client-secret-file FILE  service principal with a client secret (the file holds only the secret)
  --certificate-file FILE    service principal with a certificate (PEM with the certificate and its private key)
  --federated-token-file F   workload identity federation: the file holds a signed client assertion (an OIDC token
                             from GitHub Actions, a Kubernetes projected token, ...), read again on every renewal

Sessions are kept in $CLUSTERCONNECT_CONFIG_DIR, else $XDG_CONFIG_HOME/clusterconnect, else ~/.config/clusterconnect
(token-cache.json, mode 0600). Credential files are referenced by path, never copied.

Examples:
  clusterconnect login --tenant contoso.onmicrosoft.com
  clusterconnect login --authority https://id.example.com/realms/main --client-id clusterconnect --audience kube
  clusterconnect login --tenant $AZURE_TENANT_ID --client-id $AZURE_CLIENT_ID --federated-token-file $AZURE_FEDERATED_TOKEN_FILE

Exit codes:
  0  signed in; the session is stored
  1  sign-in failed (the message says why: unreachable issuer, refused credential, expired code, ...)
  2  invalid command line`;

const LOGOUT_HELP = `
Without target flags every session is forgotten (the cache file is deleted, which also resets an unreadable cache).
Tokens are not revoked at the issuer; they lapse on their own.

Exit codes:
  0  done (also when there was nothing to forget)
  1  the cache could not be changed
  2  invalid command line`;

function loginMethod(command: Command, flags: LoginFlags): LoginMethod {
  return parseFlags(command, () => {
    const given = [flags.clientSecretFile, flags.certificateFile, flags.federatedTokenFile].filter((v) => v !== undefined);
    if (given.length > 1) throw new Error('pass only one of --client-secret-file, --certificate-file, --federated-token-file');
    if (given.length === 1 && flags.clientId === undefined) throw new Error('--client-id is required with a service principal or federated credential');
    if (flags.clientSecretFile) return { kind: 'client-secret', secretFile: flags.clientSecretFile };
    if (flags.certificateFile) return { kind: 'certificate', certificateFile: flags.certificateFile };
    if (flags.federatedTokenFile) return { kind: 'federated-token', tokenFile: flags.federatedTokenFile };
    return { kind: 'device-code' };
  });
}

function showDeviceCode(info: DeviceCodeInfo): void {
  const minutes = Math.max(1, Math.round(info.expiresInSeconds / 60));
  // stderr: stdout stays the command's result (and machine-readable with --output json).
  process.stderr.write(`To sign in, open ${info.verificationUri} and enter the code ${info.userCode} (valid for ${minutes} min).\n`);
  if (info.verificationUriComplete) process.stderr.write(`Or open ${info.verificationUriComplete}\n`);
}

function printLogin(result: LoginResult, output: OutputFormat): void {
  if (output === 'json') {
    process.stdout.write(`${JSON.stringify({ ...result, expiresOn: result.expiresOn.toISOString() })}\n`);
    return;
  }
  const rows: [string, string][] = [
    ['AUTHORITY', result.authority],
    ['CLIENT ID', result.clientId],
    ['ACCOUNT', result.account ?? '-'],
    ['METHOD', result.method],
    ['TOKEN EXPIRES', result.expiresOn.toISOString()],
    ['CACHE', result.cacheFile],
  ];
  const width = Math.max(...rows.map(([k]) => k.length)) + 2;
  process.stdout.write(rows.map(([k, v]) => `${k.padEnd(width)}${v}\n`).join(''));
}

const outputOption = () => new Option('-o, --output <format>', 'output format').choices(['table', 'json']).default('table');

export function registerLoginCommand(program: Command): void {
  const loginCmd = program
    .command('login')
    .description('sign in to Entra ID or any OpenID issuer and keep the session for get-token and proxy')
    .option('--client-secret-file <file>', 'service principal: file holding the client secret')
    .option('--certificate-file <file>', 'service principal: PEM file with the certificate and its private key')
    .option('--federated-token-file <file>', 'workload identity: file holding the client assertion (re-read on each renewal)')
    .addOption(outputOption())
    .addHelpText('after', LOGIN_HELP);
  addLoginTargetOptions(loginCmd).action(async (flags: LoginFlags, command: Command) => {
    const target = loginTargetFromFlags(command, flags);
    const method = loginMethod(command, flags);
    const progress = { current: startProgress(`signing in to ${target.authority}`) };
    try {
      const result = await login({
        target,
        method,
        cache: new TokenCacheFile(tokenCachePath()),
        onDeviceCode: (info) => {
          progress.current.stop();
          showDeviceCode(info);
          progress.current = startProgress('waiting for you to sign in in the browser');
        },
      });
      progress.current.stop();
      printLogin(result, flags.output);
    } finally {
      progress.current.stop();
    }
  });

  const logoutCmd = program
    .command('logout')
    .description('forget a stored session (with target flags) or all of them')
    .addOption(outputOption())
    .addHelpText('after', LOGOUT_HELP);
  addLoginTargetOptions(logoutCmd).action(async (flags: LoginTargetFlags & { output: OutputFormat }, command: Command) => {
    const target = hasTargetFlags(flags) ? loginTargetFromFlags(command, flags) : undefined;
    const result = await logout(new TokenCacheFile(tokenCachePath()), target);
    if (flags.output === 'json') process.stdout.write(`${JSON.stringify(result)}\n`);
    else if (result.removed === 'all') process.stdout.write(`Logged out of every session (${result.cacheFile} removed)\n`);
    else process.stdout.write(result.removed > 0 ? `Logged out of ${target?.authority ?? ''}\n` : `No session for ${target?.authority ?? ''}; nothing to do\n`);
  });
}
