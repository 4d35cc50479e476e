#!/usr/bin/env node
// The `secure-api` operator command line. All logic lives in lib/cli; this only connects it to the process.
import { ExitCode } from '../lib/cli/errors';
import { describeFileError } from '../lib/cli/files';
import { nodeCliContext, runCli } from '../lib/cli/program';

process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  // `secure-api report | head` closes the pipe early: the reader has what it wanted, so end quietly.
  if (error.code === 'EPIPE') {
    process.exit(process.exitCode ?? 0);
  }
  // Anything else (a full disk, a redirect to a file that cannot grow) lost the result: say so, and fail.
  process.stderr.write(`secure-api: Could not write to standard output: ${describeFileError(error, 'standard output') ?? error.message}. Check where it is redirected.\n`);
  process.exit(ExitCode.CannotWrite);
});

void runCli(process.argv.slice(2), nodeCliContext()).then((code) => {
  process.exitCode = code;
});
