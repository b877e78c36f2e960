/** Exit codes of the `leasehold` command (documented in docs/cli.md). */
export const EXIT = {
  OK: 0,
  /** The server refused the request (not found, fenced, forbidden, ...). */
  ERROR: 1,
  /** Bad flags or arguments. */
  USAGE: 2,
  /** The command to run could not be started (not found or not executable). */
  COMMAND_NOT_FOUND: 127,
  /** The server could not be reached. */
  UNAVAILABLE: 69,
  /** `lock`: the lock was not acquired within `--wait`. */
  NOT_ACQUIRED: 75,
  /** `lock`: the lease was lost while the command ran; the command was stopped. */
  LOST: 76,
} as const;

/** An error that ends the command with a given exit code. */
export class CliError extends Error {
  override readonly name = 'CliError';

  constructor(
    message: string,
    readonly exitCode: number = EXIT.ERROR,
  ) {
    super(message);
  }
}

/** Bad command-line input: exits 2 and names the flag or argument. */
export function usageError(message: string): CliError {
  return new CliError(message, EXIT.USAGE);
}
