// Exit codes every subcommand shares; documented in `clusterconnect --help`.
export const ExitCode = {
  ok: 0,
  /** Something failed at run time (a peer, the network, the cluster). */
  failure: 1,
  /** The command line itself was wrong: unknown command or option, missing or invalid value. */
  usage: 2,
} as const;

export const exitCodeHelp = `
Exit codes:
  0  success
  1  the command failed at run time (the message says what and how to fix it)
  2  the command line was invalid (unknown command or option, bad value)`;

/** A run-time failure with its own exit code (commands that document more than 0/1/2). The message is one line. */
export class CommandFailure extends Error {
  override readonly name = 'CommandFailure';
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}
