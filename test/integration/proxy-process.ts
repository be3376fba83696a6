// `clusterconnect proxy` (and other client commands) as a child process, via startCommand, which keeps stdout and
// stderr apart, so a test can check that stdout holds exactly the ready line (or the YAML) and nothing else.
import { cliPath, startCommand } from '../support/role-process.js';
import type { RoleProcess } from '../support/role-process.js';

export type ClientProcess = RoleProcess;

/** `env` is laid over this process's environment. */
export function startClient(args: string[], env: NodeJS.ProcessEnv): ClientProcess {
  return startCommand(`clusterconnect ${args[0] ?? ''}`.trim(), process.execPath, [cliPath, ...args], { env: { ...process.env, ...env } });
}

/** Runs a command to completion. */
export async function runClient(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const proc = startClient(args, env);
  const code = await proc.exited;
  return { code, stdout: proc.stdout(), stderr: proc.stderr() };
}
