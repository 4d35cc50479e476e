/**
 * File writes of the CLI: every failure becomes a sentence that names the path and the cause, with exit
 * code 73 ({@link ExitCode.CannotWrite}), never a stack trace.
 */
import { chmodSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { CliError, ExitCode } from './errors';

const CAUSES: Record<string, (path: string) => string> = {
  ENOENT: (path) => `the directory ${dirname(path)} does not exist`,
  ENOTDIR: (path) => `a part of ${dirname(path)} is a file, not a directory`,
  EISDIR: () => 'it is a directory',
  EEXIST: () => 'a file of that name is in the way',
  EACCES: () => 'permission denied',
  EPERM: () => 'the operation is not permitted',
  EROFS: () => 'the file system is read-only',
  ENOSPC: () => 'no space is left on the device',
  EDQUOT: () => 'the disk quota is exceeded',
  EFBIG: () => 'the file is too large',
  ENAMETOOLONG: () => 'the name is too long',
  EMFILE: () => 'too many files are open',
  EBUSY: () => 'the file is busy',
  EPIPE: () => 'the reader closed it',
  EIO: () => 'an input/output error occurred',
};

/**
 * Describes a file-system failure in words, with its code, e.g. `the directory /x does not exist
 * (ENOENT)`; `undefined` when `error` carries no file-system code.
 *
 * @param path the file that was being written, for causes that name its directory
 */
export function describeFileError(error: unknown, path: string): string | undefined {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  if (typeof code !== 'string' || !/^E[A-Z0-9]+$/.test(code)) {
    return undefined;
  }
  const cause = CAUSES[code]?.(path) ?? String((error as { message?: unknown }).message ?? 'it failed').replace(/^[A-Z0-9]+: /, '');
  return `${cause} (${code})`;
}

/** A {@link CliError} (exit 73) for a write of `what` to `path` that failed with `error`. */
export function cannotWrite(what: string, path: string, error: unknown, hint: string): CliError {
  const cause = describeFileError(error, path) ?? (error instanceof Error ? error.message : String(error));
  return new CliError('ERR_CANNOT_WRITE', `Could not write ${what} to ${path}: ${cause}. ${hint}`, { exitCode: ExitCode.CannotWrite, cause: error });
}

/**
 * Writes `text` to `path` (UTF-8), replacing the file.
 *
 * @param what what the file holds, for the message, e.g. `the report`
 * @param hint what the operator can do, e.g. `Choose another --out.`
 * @param mode file mode bits, e.g. `0o600` for personal data, also set on a file that exists already
 * @throws CliError (exit 73) naming the path and the cause when the write fails
 */
export function writeTextFile(path: string, text: string, what: string, hint: string, mode?: number): void {
  try {
    if (mode !== undefined) {
      // Narrowed before the content goes in, when the file exists already with wider permissions.
      writeFileSync(path, '', { mode });
      chmodSync(path, mode);
    }
    writeFileSync(path, text);
  } catch (error) {
    throw cannotWrite(what, path, error, hint);
  }
}
