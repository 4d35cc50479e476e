#!/usr/bin/env node
// The `secure-api` operator command line. All logic lives in lib/cli; this only connects it to the process.
import { nodeCliContext, runCli } from '../lib/cli/program';

void runCli(process.argv.slice(2), nodeCliContext()).then((code) => {
  process.exitCode = code;
});
