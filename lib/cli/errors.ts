/**
 * Exit codes and the one error class of the `secure-api` command line.
 *
 * Every failure the CLI can explain becomes a {@link CliError}: a plain sentence that says what went
 * wrong and what to do, a stable `code` for scripts and tests, and the process exit code. Scripts
 * branch on the exit code, never on the message text.
 */

/**
 * Process exit codes of `secure-api`. Stable: changing a value is a breaking change.
 */
export const ExitCode = {
  /** The command did what was asked. */
  Ok: 0,
  /** The command ran, and at least one check failed (`smoke`, or `report --fail-on`). */
  CheckFailed: 1,
  /** The command line was wrong: unknown option, bad value, missing argument. */
  Usage: 2,
  /**
   * The configuration was wrong, missing or untrusted: outputs file (also one that others can write),
   * stack, output key, region, cloud assembly, a token endpoint that is not a domain of the user pool.
   */
  Config: 3,
  /** AWS (or the token endpoint) refused who we are or what we may do: credentials, permissions, client secret. */
  AwsAuth: 4,
  /** AWS (or the token endpoint) refused the request for another reason: missing user, existing user, weak password, throttling. */
  AwsOther: 5,
  /** A network request failed: connection refused, DNS, timeout. */
  Network: 6,
  /** A bug in `secure-api` itself (sysexits' EX_SOFTWARE); the stack trace is printed. */
  Internal: 70,
  /**
   * A result could not be written: `--out` in a missing directory, no permission, a full disk, or a
   * closed standard output (sysexits' EX_CANTCREAT).
   */
  CannotWrite: 73,
} as const;

/** One of the {@link ExitCode} values. */
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** The exit codes, one line each, as `--help` prints them. */
export const EXIT_CODES_HELP = [
  'Exit codes:',
  ...(
    [
      [ExitCode.Ok, 'success'],
      [ExitCode.CheckFailed, 'a smoke or probe check failed, or (report --fail-on) a rule of the API standard failed'],
      [ExitCode.Usage, 'usage error (unknown option, bad value, missing argument)'],
      [ExitCode.Config, 'configuration error (outputs file, stack, output key, region, cdk.out, token endpoint not of the user pool)'],
      [ExitCode.AwsAuth, 'AWS refused the credentials or permissions, or the token endpoint refused the client'],
      [ExitCode.AwsOther, 'AWS refused the request for another reason (the message says which)'],
      [ExitCode.Network, 'network error (connection refused, DNS, timeout)'],
      [ExitCode.Internal, 'internal error in secure-api (please report it with the printed stack trace)'],
      [ExitCode.CannotWrite, 'could not write the result (--out file or standard output: missing directory, permission, disk full)'],
    ] as const
  ).map(([code, meaning]) => `  ${String(code).padStart(2)}  ${meaning}`),
].join('\n');

/** Construction options of a {@link CliError}. */
export interface CliErrorOptions {
  /** The process exit code this error ends the command with. */
  readonly exitCode: ExitCodeValue;
  /** The error that caused this one (kept for `--debug`-style inspection, never printed by default). */
  readonly cause?: unknown;
}

/**
 * An error the CLI explains to the operator in one plain sentence.
 *
 * `code` is a stable identifier (`ERR_OUTPUTS_NOT_FOUND`, `ERR_AWS_USER_NOT_FOUND`...), `exitCode` the
 * process exit code. The message never contains secrets or tokens.
 */
export class CliError extends Error {
  /** Stable identifier of this kind of failure. */
  public readonly code: string;
  /** The process exit code this error ends the command with. */
  public readonly exitCode: ExitCodeValue;

  /**
   * @param code stable identifier, `ERR_` followed by upper snake case
   * @param message one or two plain sentences: what went wrong, then what to do
   * @param options exit code and cause
   */
  constructor(code: string, message: string, options: CliErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CliError';
    this.code = code;
    this.exitCode = options.exitCode;
  }
}

/** A usage error (exit code 2). */
export function usageError(code: string, message: string): CliError {
  return new CliError(code, message, { exitCode: ExitCode.Usage });
}

/** A configuration error (exit code 3). */
export function configError(code: string, message: string, cause?: unknown): CliError {
  return new CliError(code, message, { exitCode: ExitCode.Config, cause });
}
