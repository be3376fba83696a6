// The two failures a user must act on, each with the one command that fixes it.

/** No usable session for the authority: the user must sign in (again). */
export class LoginRequiredError extends Error {
  constructor(
    readonly authority: string,
    readonly loginCommand: string,
    reason?: string,
  ) {
    super(`not logged in to ${authority}${reason ? ` (${reason})` : ''}: run \`${loginCommand}\``);
    this.name = 'LoginRequiredError';
  }
}

/** The cache file exists but cannot be used (corrupt, or written by another version). Never a crash. */
export class TokenCacheUnreadableError extends Error {
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(`token cache ${path} is unreadable (${reason}); run \`clusterconnect logout\` to reset it, then log in again`);
    this.name = 'TokenCacheUnreadableError';
  }
}
