#!/usr/bin/env node
// The `secure-api` operator command line. All logic lives in lib/cli; this only connects it to the process.
import { nodeCliContext, runCli } from '../lib/cli/program';

// `secure-api report | head` closes the pipe early: the reader has what it wanted, so end quietly.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') {
    throw error;
  }
  process.exit(process.exitCode ?? 0);
});

void runCli(process.argv.slice(2), nodeCliContext()).then((code) => {
  process.exitCode = code;
});
