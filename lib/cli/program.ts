/**
 * The `secure-api` command line: `token`, `smoke`, `users` and `report`, wired with commander.
 *
 * Everything the commands touch outside the process comes through a {@link CliContext} (streams,
 * environment, clock, `fetch`, the Cognito client factory), so tests run the real program against
 * local servers, and `bin/secure-api.ts` only passes the real ones.
 */
import { homedir } from 'node:os';
import { resolve } from 'node:path';
import type { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { Command, CommanderError, Option } from 'commander';
import { readCloudAssembly } from './cloud-assembly';
import { CognitoClientFactory, CognitoTarget, defaultCognitoClientFactory, resolveRegion } from './cognito';
import { CliError, EXIT_CODES_HELP, ExitCode, configError, usageError } from './errors';
import { writeTextFile } from './files';
import { FetchLike, HttpSeams, parseSecureUrl } from './http';
import { CliStreams, withProgress } from './io';
import { OutputKey, SettingTrail, loadStackOutputs, resolveSetting } from './outputs';
import { buildStackReport } from './report';
import { renderReportMarkdown } from './report-markdown';
import { parseBurst, parseSmokeRoute, renderSmokeTable, runSmokeChecks } from './smoke';
import { DEFAULT_HTTP_TIMEOUT_MS, MachineToken, TOKEN_FORMATS, TokenFormat, formatToken, getMachineToken } from './token';
import { TokenCache, defaultCacheDir } from './token-cache';
import { TRUST_TOKEN_ENDPOINT_FLAG } from './token-endpoint';
import { addUserToGroup, createUser, disableUser, enableUser, readPassword, removeUserFromGroup, setUserPassword, signOutUser } from './users';
import { packageVersion } from './version';

/** Everything a CLI run reaches outside the process. */
export interface CliContext {
  /** stdin, stdout and stderr. */
  readonly streams: CliStreams;
  /** Environment variables (`XDG_CACHE_HOME`...). */
  readonly env: NodeJS.ProcessEnv;
  /** Directory relative paths are resolved against. */
  readonly cwd: string;
  /** The home directory, for the default cache directory. */
  readonly homeDir: string;
  /** Current time in milliseconds since the epoch. */
  readonly now: () => number;
  /** The `fetch` for the token endpoint and the API. */
  readonly fetch: FetchLike;
  /** Creates Cognito clients. */
  readonly createCognitoClient: CognitoClientFactory;
  /** Overrides the token cache directory. @default - `$XDG_CACHE_HOME/cdk-secure-api` or `~/.cache/cdk-secure-api` */
  readonly cacheDir?: string;
}

/** The context of a real run: the process's streams, environment and clock, global `fetch`, the AWS SDK. */
export function nodeCliContext(): CliContext {
  return {
    streams: { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr },
    env: process.env,
    cwd: process.cwd(),
    homeDir: homedir(),
    now: Date.now,
    fetch: (input, init) => fetch(input, init),
    createCognitoClient: defaultCognitoClientFactory,
  };
}

/**
 * Runs the CLI with `args` (the arguments after the program name) and returns the exit code. Never
 * throws and never calls `process.exit`: errors are printed to stderr as one sentence.
 */
export async function runCli(args: readonly string[], context: CliContext): Promise<number> {
  const clients: CognitoIdentityProviderClient[] = [];
  const tracked: CliContext = {
    ...context,
    createCognitoClient: (settings) => {
      const client = context.createCognitoClient(settings);
      clients.push(client);
      return client;
    },
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

interface OutputsFlags {
  readonly outputs?: string;
  readonly stack?: string;
  readonly verbose?: boolean;
}

interface AwsFlags extends OutputsFlags {
  readonly region?: string;
  readonly profile?: string;
  readonly userPoolId?: string;
}

interface MachineFlags extends AwsFlags {
  readonly tokenEndpoint?: string;
  readonly trustTokenEndpoint?: string;
  readonly clientId?: string;
  readonly cache: boolean;
  readonly timeout?: string;
}

/**
 * Builds the commander program.
 *
 * @param setExitCode records a non-error exit code (a failed smoke check)
 */
export function createProgram(context: CliContext, setExitCode: (code: number) => void): Command {
  const { stdout, stderr } = context.streams;
  const program = new Command('secure-api')
    .description('Operate a secure API deployed with cdk-secure-api: get tokens, smoke-test it, manage users, report its security.')
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

  const loadOutputs = (flags: OutputsFlags): SettingTrail => new SettingTrail(loadStackOutputs({ file: flags.outputs, stack: flags.stack, cwd: context.cwd }));
  // Says where the values came from before anything leaves the machine: one line when the outputs file
  // provided some (it is read without being named), every setting and its source with --verbose.
  const announce = (flags: OutputsFlags, trail: SettingTrail): void => {
    const lines = flags.verbose ? trail.details() : [trail.outputsNote()].filter((line): line is string => line !== undefined);
    lines.forEach((line) => stderr.write(`secure-api: ${line}\n`));
  };
  const connectTo = (flags: AwsFlags, trail: SettingTrail): { userPoolId: string; connect: () => CognitoTarget } => {
    const userPoolId = trail.require({ value: flags.userPoolId, flag: '--user-pool-id', outputKey: OutputKey.UserPoolId });
    const region = resolveRegion(userPoolId, flags.region);
    trail.record({ name: 'Region', value: region, source: flags.region === undefined ? 'the user pool id' : '--region, which matches the user pool id', fromOutputs: false });
    const profile = flags.profile ?? context.env.AWS_PROFILE;
    trail.record({
      name: 'AWS profile',
      value: profile ?? '(none)',
      source: flags.profile !== undefined ? '--profile' : profile !== undefined ? 'environment variable AWS_PROFILE' : 'the standard AWS credential chain',
      fromOutputs: false,
    });
    for (const variable of ['AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER', 'AWS_ENDPOINT_URL']) {
      const endpoint = context.env[variable];
      if (endpoint) {
        trail.record({ name: 'Cognito API endpoint', value: endpoint, source: `environment variable ${variable}`, fromOutputs: false });
        break;
      }
    }
    let target: CognitoTarget | undefined;
    const connect = (): CognitoTarget => (target ??= { client: context.createCognitoClient({ region, profile: flags.profile }), region, userPoolId });
    return { userPoolId, connect };
  };
  const seams = (flags: { timeout?: string }): HttpSeams => ({ fetch: context.fetch, now: context.now, timeoutMs: parseTimeout(flags.timeout) });
  const machineToken = async (flags: MachineFlags, trail: SettingTrail, scopes: readonly string[], needSecret: boolean): Promise<{ token: MachineToken; clientId: string }> => {
    const trusted = flags.trustTokenEndpoint !== undefined;
    if (trusted && flags.tokenEndpoint !== undefined) {
      throw usageError('ERR_CONFLICTING_OPTIONS', `Pass either --token-endpoint or ${TRUST_TOKEN_ENDPOINT_FLAG}, not both: both name the token endpoint.`);
    }
    const endpointSetting = trusted
      ? trail.record({ name: OutputKey.TokenEndpoint, value: flags.trustTokenEndpoint!, source: `${TRUST_TOKEN_ENDPOINT_FLAG}, not checked against the user pool`, fromOutputs: false })
      : trail.record(resolveSetting(trail.outputs, { value: flags.tokenEndpoint, flag: '--token-endpoint', outputKey: OutputKey.TokenEndpoint }));
    const tokenEndpoint = parseSecureUrl(endpointSetting.value, trusted ? TRUST_TOKEN_ENDPOINT_FLAG : endpointSetting.source);
    const clientId = trail.require({ value: flags.clientId, flag: '--client-id', outputKey: OutputKey.MachineClientId });
    const { userPoolId, connect } = connectTo(flags, trail);
    announce(flags, trail);
    if (trusted) {
      stderr.write(`secure-api: ${TRUST_TOKEN_ENDPOINT_FLAG}: ${tokenEndpoint.href} is not checked against the domains of user pool ${userPoolId}.\n`);
    }
    const cache = flags.cache ? new TokenCache(context.cacheDir ?? defaultCacheDir(context.env, context.homeDir)) : undefined;
    const messages: string[] = [];
    try {
      const token = await withProgress(stderr, 'Getting an access token', (progress) =>
        getMachineToken(
          { tokenEndpoint, tokenEndpointSource: endpointSetting.source, trustTokenEndpoint: trusted, userPoolId, clientId, scopes, cache, needSecret },
          connect,
          seams(flags),
          {
            step: (text) => progress.update(text),
            note: (text) => {
              if (flags.verbose) messages.push(text);
            },
            warn: (text) => messages.push(`warning: ${text}`),
          },
        ),
      );
      return { token, clientId };
    } finally {
      // After the spinner has erased its line, so the messages stay readable.
      messages.forEach((message) => stderr.write(`secure-api: ${message}\n`));
    }
  };

  const token = program
    .command('token')
    .description('Print a client-credentials access token of the machine client (cached until shortly before it expires).')
    .addOption(new Option('--scope <scope>', 'scope to request; repeat for several').argParser(collect).default([], 'every scope the client may have'))
    .addOption(new Option('--format <format>', 'raw token, ready HTTP header, or JSON with expiry').choices(TOKEN_FORMATS).default('raw'))
    .option('--show-secret', 'also print the client secret (to stderr, or in the JSON); keep it out of logs')
    .option('--no-cache', 'neither read nor write the token cache');
  addMachineOptions(token);
  token.addHelpText(
    'after',
    [
      '',
      'Examples:',
      '  $ secure-api token --scope items/read',
      '  $ curl -H "$(secure-api token --scope items/read --format header)" "$API_URL/items"',
      '',
      'The cache lives in $XDG_CACHE_HOME/cdk-secure-api (default ~/.cache/cdk-secure-api), one 0600 file per',
      'token endpoint, user pool, client and scopes. It holds the token, never the client secret.',
      '',
      'The client secret is only sent to a token endpoint of the user pool (checked with DescribeUserPool), and',
      'an outputs file is only read if it is yours and others cannot write it.',
    ].join('\n'),
  );
  token.action(async (flags: MachineFlags & { scope: string[]; format: TokenFormat; showSecret?: boolean }) => {
    const trail = loadOutputs(flags);
    const { token: issued, clientId } = await machineToken(flags, trail, flags.scope, flags.showSecret === true);
    stdout.write(formatToken(issued, flags.format, clientId, context.now()));
    if (flags.showSecret && flags.format !== 'json') {
      stderr.write(`Client secret of ${clientId}: ${issued.clientSecret}\n`);
    }
  });

  const smoke = program
    .command('smoke')
    .description('Check a deployed API end to end: 401 without a token, 2xx with the right scope, 403 without it, 429 on a burst.')
    .option('--api-url <url>', 'invoke URL of the stage (default: output ApiUrl)')
    .option('--read-route <route>', 'a route the read scope allows', 'GET /items')
    .option('--write-route <route>', 'a route that needs the write scope; called with a read-only token, so it must refuse', 'DELETE /items/{id}')
    .option('--read-scope <scope>', 'the scope the smoke token gets (default: output ItemsReadScope)')
    .option('--write-scope <scope>', 'the scope the write route needs (default: output ItemsWriteScope)')
    .option('--burst <n>', 'also send n requests at once and expect a 429 (1 to 500)')
    .addOption(new Option('--format <format>', 'table for people, JSON for pipelines').choices(['table', 'json']).default('table'))
    .option('--no-cache', 'neither read nor write the token cache');
  addMachineOptions(smoke);
  smoke.addHelpText(
    'after',
    [
      '',
      'Examples:',
      '  $ secure-api smoke',
      '  $ secure-api smoke --burst 200 --format json',
      '',
      'A route is a path below the API URL: {param} segments are called with the value secure-api-smoke; absolute',
      'URLs, //host, dot segments (also %2e), backslashes, queries and fragments are refused.',
    ].join('\n'),
  );
  smoke.action(
    async (
      flags: MachineFlags & { apiUrl?: string; readRoute: string; writeRoute: string; readScope?: string; writeScope?: string; burst?: string; format: 'table' | 'json' },
    ) => {
      const trail = loadOutputs(flags);
      const apiUrlSetting = trail.record(resolveSetting(trail.outputs, { value: flags.apiUrl, flag: '--api-url', outputKey: OutputKey.ApiUrl }));
      const apiUrl = parseSecureUrl(apiUrlSetting.value, apiUrlSetting.source);
      const readScope = trail.require({ value: flags.readScope, flag: '--read-scope', outputKey: OutputKey.ItemsReadScope });
      const writeScope = trail.require({ value: flags.writeScope, flag: '--write-scope', outputKey: OutputKey.ItemsWriteScope });
      const readRoute = parseSmokeRoute(flags.readRoute, '--read-route');
      const writeRoute = parseSmokeRoute(flags.writeRoute, '--write-route');
      const burst = flags.burst === undefined ? undefined : parseBurst(flags.burst);
      if (readScope === writeScope) {
        throw usageError('ERR_SAME_SCOPES', `--read-scope and --write-scope must differ, or the 403 check cannot work (received: ${readScope} twice).`);
      }
      const { token: issued } = await machineToken(flags, trail, [readScope], false);
      const checks = await withProgress(stderr, 'Running smoke checks', (progress) =>
        runSmokeChecks({ apiUrl, readRoute, writeRoute, readScope, writeScope, burst }, issued, seams(flags), (check) => progress.update(check)),
      );
      const passed = checks.every((check) => check.passed);
      stdout.write(flags.format === 'json' ? `${JSON.stringify({ apiUrl: apiUrl.href, passed, checks }, undefined, 2)}\n` : renderSmokeTable(checks));
      if (!passed) {
        setExitCode(ExitCode.CheckFailed);
      }
    },
  );

  const users = program
    .command('users')
    .description("Manage the people who sign in to the API's user pool (web client).")
    .addHelpText('after', ['', 'Examples:', '  $ secure-api users create alice --email alice@example.com', '  $ secure-api users add-to-group alice admin'].join('\n'));
  const userCommand = (nameAndArgs: string, description: string): Command => addAwsOptions(users.command(nameAndArgs).description(description));
  const runUserAction = async (flags: AwsFlags, progressText: string, action: (target: CognitoTarget) => Promise<string>): Promise<void> => {
    const trail = loadOutputs(flags);
    const { connect } = connectTo(flags, trail);
    announce(flags, trail);
    const message = await withProgress(stderr, progressText, () => action(connect()));
    stdout.write(`${message}\n`);
  };

  userCommand('create <username>', 'Create a user (AdminCreateUser); Cognito emails an invitation with a temporary password unless suppressed.')
    .requiredOption('--email <address>', "the user's email address")
    .option('--email-verified', 'mark the email as verified, so the user can reset a forgotten password with it')
    .option('--suppress-invitation', 'send no invitation; set a password with `users set-password`')
    .action((username: string, flags: AwsFlags & { email: string; emailVerified?: boolean; suppressInvitation?: boolean }) =>
      runUserAction(flags, `Creating user ${username}`, (target) =>
        createUser(target, { username, email: flags.email, emailVerified: flags.emailVerified, suppressInvitation: flags.suppressInvitation }),
      ),
    );

  userCommand('set-password <username>', 'Set a password (AdminSetUserPassword), read from a hidden prompt or --password-stdin, never from a flag.')
    .option('--password-stdin', 'read the password from standard input')
    .option('--temporary', 'make it temporary: the user must choose a new one at the next sign-in')
    .addHelpText('after', ['', 'Example:', '  $ secure-api users set-password alice --password-stdin < password.txt'].join('\n'))
    .action(async (username: string, flags: AwsFlags & { passwordStdin?: boolean; temporary?: boolean }) => {
      const trail = loadOutputs(flags);
      const { connect } = connectTo(flags, trail);
      announce(flags, trail);
      const password = await readPassword(context.streams, { fromStdin: flags.passwordStdin === true, prompt: `New password for ${username}: ` });
      const message = await withProgress(stderr, `Setting the password of ${username}`, () => setUserPassword(connect(), username, password, flags.temporary !== true));
      stdout.write(`${message}\n`);
    });

  userCommand('add-to-group <username> <group>', 'Add a user to a group (AdminAddUserToGroup), e.g. admin for the admin route.').action(
    (username: string, group: string, flags: AwsFlags) => runUserAction(flags, `Adding ${username} to ${group}`, (target) => addUserToGroup(target, username, group)),
  );
  userCommand('remove-from-group <username> <group>', 'Remove a user from a group (AdminRemoveUserFromGroup).').action(
    (username: string, group: string, flags: AwsFlags) =>
      runUserAction(flags, `Removing ${username} from ${group}`, (target) => removeUserFromGroup(target, username, group)),
  );
  userCommand('disable <username>', 'Disable a user (AdminDisableUser): no more sign-ins or refreshes.').action((username: string, flags: AwsFlags) =>
    runUserAction(flags, `Disabling ${username}`, (target) => disableUser(target, username)),
  );
  userCommand('enable <username>', 'Enable a disabled user again (AdminEnableUser).').action((username: string, flags: AwsFlags) =>
    runUserAction(flags, `Enabling ${username}`, (target) => enableUser(target, username)),
  );
  userCommand(
    'sign-out <username>',
    'Sign a user out everywhere (AdminUserGlobalSignOut): revokes refresh tokens; access tokens stay valid until they expire.',
  ).action((username: string, flags: AwsFlags) => runUserAction(flags, `Signing out ${username}`, (target) => signOutUser(target, username)));

  program
    .command('report')
    .description('Write a Markdown security report from cdk.out alone: access matrix, WAF rules, logging and retention, acknowledged cdk-nag rules.')
    .option('--cdk-out <dir>', 'the cloud assembly directory', 'cdk.out')
    .option('--stack <name>', 'report on this stack only (default: every stack)')
    .option('--out <file>', 'write the report to this file instead of stdout')
    .addOption(new Option('--format <format>', 'Markdown for people, JSON for tools').choices(['markdown', 'json']).default('markdown'))
    .addHelpText('after', ['', 'Examples:', '  $ npx cdk synth && secure-api report --out SECURITY-REPORT.md', '  $ secure-api report --cdk-out cdk.out --stack Demo'].join('\n'))
    .action((flags: { cdkOut: string; stack?: string; out?: string; format: 'markdown' | 'json' }) => {
      const all = readCloudAssembly(resolve(context.cwd, flags.cdkOut), flags.cdkOut);
      const stacks = flags.stack === undefined ? all : all.filter((s) => [s.stackName, s.artifactId, s.displayName].includes(flags.stack!));
      if (stacks.length === 0) {
        throw configError(
          flags.stack === undefined ? 'ERR_NO_STACKS' : 'ERR_STACK_NOT_FOUND',
          flags.stack === undefined
            ? `${flags.cdkOut} holds no stack. Run \`npx cdk synth\` first.`
            : `${flags.cdkOut} has no stack ${flags.stack} (stacks: ${all.map((s) => s.stackName).join(', ') || 'none'}). Pass one of those to --stack.`,
        );
      }
      const reports = stacks.map(buildStackReport);
      const text = flags.format === 'json' ? `${JSON.stringify(reports, undefined, 2)}\n` : renderReportMarkdown(reports, { cdkOut: flags.cdkOut });
      if (flags.out === undefined) {
        stdout.write(text);
      } else {
        writeTextFile(resolve(context.cwd, flags.out), text, 'the report', 'Create the directory, or choose another --out.');
        stderr.write(`Wrote the report of ${reports.map((r) => r.stackName).join(', ')} to ${flags.out}.\n`);
      }
    });

  return program;
}

function addOutputsOptions(command: Command): Command {
  return command
    .option('--outputs <file>', 'stack outputs written by `cdk deploy --outputs-file` (default: ./outputs.json, if present)')
    .option('--stack <name>', 'the stack in the outputs file (default: the only one)')
    .option('--verbose', 'print every setting and where it came from (flag, environment, outputs file and stack output), and what was checked');
}

function addAwsOptions(command: Command): Command {
  return addOutputsOptions(command)
    .option('--user-pool-id <id>', 'the Cognito user pool (default: output UserPoolId)')
    .option('--region <region>', "AWS region (default: the user pool id's region)")
    .option('--profile <name>', 'AWS profile (default: the standard credential chain)');
}

function addMachineOptions(command: Command): Command {
  return addAwsOptions(command)
    .option('--token-endpoint <url>', "the OAuth 2.0 token endpoint (default: output TokenEndpoint); must be a domain of the user pool")
    .option(
      `${TRUST_TOKEN_ENDPOINT_FLAG} <url>`,
      'send the client secret to this token endpoint without checking it against the user pool (e.g. a local Cognito emulator); only as a flag',
    )
    .option('--client-id <id>', 'the machine client (default: output MachineClientId)')
    .option('--timeout <seconds>', `timeout of each HTTP request (default: ${DEFAULT_HTTP_TIMEOUT_MS / 1000})`);
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function parseTimeout(value: string | undefined): number {
  if (value === undefined) {
    return DEFAULT_HTTP_TIMEOUT_MS;
  }
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 300) {
    throw usageError('ERR_BAD_TIMEOUT', `--timeout must be a number of seconds above 0 and at most 300 (received: ${JSON.stringify(value)}).`);
  }
  return Math.round(seconds * 1000);
}
