/**
 * The `secure-api` command line: `token`, `smoke`, `users`, `revoke`, `report` and the rest, wired with commander. Each
 * command lives in `commands/`; this file builds the program and runs it.
 *
 * Everything the commands touch outside the process comes through a {@link CliContext} (streams,
 * environment, clock, `fetch`, the AWS client factories), so tests run the real program against
 * local servers, and `bin/secure-api.ts` only passes the real ones.
 */
import { Command, CommanderError } from 'commander';
import { trackAwsClients } from './aws-clients';
import { addProbeCommand } from './commands/probe';
import { addReportCommand } from './commands/report';
import { addRevokeCommands } from './commands/revoke';
import { addServeCommand } from './commands/serve';
import { addSmokeCommand } from './commands/smoke';
import { addSubjectRecordsCommand } from './commands/subject-records';
import { addTokenCommand } from './commands/token';
import { addUsersCommand } from './commands/users';
import type { CliContext } from './context';
import { CliError, EXIT_CODES_HELP, ExitCode } from './errors';
import { packageVersion } from './version';

export { type CliContext, nodeCliContext } from './context';

/**
 * Runs the CLI with `args` (the arguments after the program name) and returns the exit code. Never
 * throws and never calls `process.exit`: errors are printed to stderr as one sentence.
 */
export async function runCli(args: readonly string[], context: CliContext): Promise<number> {
  const clients: Array<{ destroy(): void }> = [];
  const tracked: CliContext = {
    ...context,
    createCognitoClient: (settings) => {
      const client = context.createCognitoClient(settings);
      clients.push(client);
      return client;
    },
    awsClients: trackAwsClients(context.awsClients, (client) => clients.push(client)),
  };
  let exitCode: number = ExitCode.Ok;
  try {
    await createProgram(tracked, (code) => (exitCode = code)).parseAsync([...args], { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has printed its message already; help and version end with 0.
      return error.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
    }
    if (error instanceof CliError) {
      context.streams.stderr.write(`secure-api: ${error.message}\n`);
      return error.exitCode;
    }
    context.streams.stderr.write(`secure-api: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return ExitCode.Internal;
  } finally {
    // Keep-alive sockets of the SDK would otherwise hold the process open after the answer.
    clients.forEach((client) => client.destroy());
  }
}

/**
 * Builds the commander program.
 *
 * @param setExitCode records a non-error exit code (a failed smoke check)
 */
export function createProgram(context: CliContext, setExitCode: (code: number) => void): Command {
  const { stdout, stderr } = context.streams;
  const program = new Command('secure-api')
    .description('Operate a secure API deployed with cdk-secure-api: get tokens, smoke-test it, manage users, revoke tokens, report its security.')
    .version(packageVersion(), '-V, --version', 'Print the version of cdk-secure-api.')
    .configureOutput({ writeOut: (text) => stdout.write(text), writeErr: (text) => stderr.write(text) })
    .exitOverride()
    .showHelpAfterError('(add --help for usage)')
    .addHelpText(
      'after',
      [
        '',
        'Settings come from flags, else from the stack outputs file (`npx cdk deploy --outputs-file outputs.json`).',
        'AWS credentials come from the standard chain (AWS_PROFILE, environment, SSO, instance role).',
        '',
        EXIT_CODES_HELP,
      ].join('\n'),
    );

  addTokenCommand(program, context);
  addSmokeCommand(program, context, setExitCode);
  addUsersCommand(program, context);
  addRevokeCommands(program, context);
  addSubjectRecordsCommand(program, context);
  addReportCommand(program, context, setExitCode);
  addProbeCommand(program, context, setExitCode);
  addServeCommand(program, context);
  return program;
}
