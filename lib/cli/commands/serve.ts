/** `secure-api serve`: a REST API of the synthesized app on 127.0.0.1, for `probe` and local tests. */
import { createWriteStream, readFileSync, writeFileSync, type WriteStream } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { readCloudAssembly } from '../cloud-assembly';
import { type CliContext, untilSignalled } from '../context';
import { configError, usageError } from '../errors';
import { parseConfig } from '../../../lambda/contract';
import { startLocalStage } from '../serve/local-stage';

interface ServeFlags {
  cdkOut: string;
  stack?: string;
  api?: string;
  port: string;
  issuerOut?: string;
  accessLog?: string;
  denyList?: string;
  issuers?: string;
}

/** Reads `--issuers`: a JSON list of issuer settings, or an object holding one under `issuers`. */
function readIssuersFile(path: string): unknown[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    const why = error instanceof SyntaxError ? `is not JSON (${error.message})` : `cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`;
    throw configError('ERR_ISSUERS_FILE', `The issuers file ${path} ${why}.`, error);
  }
  const issuers = Array.isArray(parsed) ? parsed : typeof parsed === 'object' && parsed !== null && Array.isArray((parsed as { issuers?: unknown }).issuers) ? (parsed as { issuers: unknown[] }).issuers : undefined;
  if (issuers === undefined) {
    throw configError('ERR_ISSUERS_FILE', `The issuers file ${path} holds neither a list of issuers nor an object with "issuers".`);
  }
  try {
    // Checked as the authorizer checks its configuration, so the file is named in the answer.
    parseConfig({ version: 1, issuers, routes: [] });
  } catch (error) {
    throw configError('ERR_ISSUERS_FILE', `The issuers file ${path} cannot be used: ${error instanceof Error ? error.message : String(error)}.`, error);
  }
  return issuers;
}

/** Adds the `serve` command to `program`; it runs until `context.untilStopped` resolves (Ctrl-C by default). */
export function addServeCommand(program: Command, context: CliContext): void {
  const { stderr } = context.streams;
  program
    .command('serve')
    .description(
      "Serve a REST API of cdk.out on 127.0.0.1: API Gateway's method matching, the authorizer's real bundle with its configuration (its issuers replaced by a local one, or by those of --issuers), identity sources, result caching, the policy against the method ARN, Cognito user pool authorizers (against the local issuer; AWS_IAM is not emulated), gateway responses, the web ACL's rules that can be evaluated locally (IP sets, rate-based rules, size constraints, byte matches; the others are listed at startup), MOCK, HTTP proxy and Lambda proxy integrations. An authorizer's deny list and pseudonym key are local stand-ins.",
    )
    .option('--cdk-out <dir>', 'the cloud assembly directory', 'cdk.out')
    .option('--stack <name>', 'the stack of the API (default: the only stack with a REST API)')
    .option('--api <name>', 'the REST API, when the stack has several')
    .option('--port <n>', 'the port on 127.0.0.1 (0: any free port)', '0')
    .option('--issuer-out <file>', "write the local issuer (issuer, client id, audience, kid, its test signing key) to this file, for `secure-api probe --local-issuer`")
    .option('--issuers <file>', "trust these issuers instead of the local one: a JSON list in the authorizer configuration's `issuers` format (kind, issuer, jwksUri or keys, clientIds, audiences), e.g. a mock identity provider on this machine")
    .option('--deny-list <file>', "the deny list of an authorizer with revocation: DynamoDB JSON items (the output of `aws dynamodb scan`, or the list of items), read again at every refresh (default: empty)")
    .option('--access-log <file>', "append an access-log line per request to this file, in the stage's own AccessLogSetting format (default: off; lines never go to stderr)")
    .action(async (flags: ServeFlags) => {
      const port = Number(flags.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) {
        throw usageError('ERR_BAD_PORT', `--port must be a port number from 0 to 65535 (received: ${JSON.stringify(flags.port)}).`);
      }
      if (flags.issuers !== undefined && flags.issuerOut !== undefined) {
        throw usageError('ERR_ISSUERS_CONFLICT', '--issuer-out writes the local issuer, which --issuers replaces: pass one of them.');
      }
      const issuers = flags.issuers === undefined ? undefined : readIssuersFile(resolve(context.cwd, flags.issuers));
      const stacks = readCloudAssembly(resolve(context.cwd, flags.cdkOut), flags.cdkOut).filter(
        (stack) => (flags.stack === undefined || [stack.stackName, stack.artifactId, stack.displayName].includes(flags.stack)) && Object.values(stack.template.Resources ?? {}).some((resource) => resource.Type === 'AWS::ApiGateway::RestApi'),
      );
      if (stacks.length !== 1) {
        throw configError('ERR_NO_API', `${flags.cdkOut} has ${stacks.length === 0 ? 'no stack with a REST API' : `${stacks.length} stacks with REST APIs`}${flags.stack ? ` named ${flags.stack}` : ''}: pass one with --stack.`);
      }
      let accessLog: WriteStream | undefined;
      if (flags.accessLog !== undefined) {
        const path = resolve(context.cwd, flags.accessLog);
        accessLog = createWriteStream(path, { flags: 'a', mode: 0o600 });
        await new Promise<void>((resolveOpen, reject) => {
          accessLog!.once('open', () => resolveOpen());
          accessLog!.once('error', (error: NodeJS.ErrnoException) => reject(configError('ERR_ACCESS_LOG_UNWRITABLE', `--access-log ${path} cannot be opened (${error.code}).`, error)));
        });
        accessLog.on('error', (error: NodeJS.ErrnoException) => stderr.write(`--access-log ${path} cannot be written (${error.code}).\n`));
      }
      const stage = await startLocalStage(stacks[0]!, {
        api: flags.api,
        port,
        ...(accessLog !== undefined ? { accessLog: (line: string) => accessLog.write(`${line}\n`) } : {}),
        ...(flags.denyList !== undefined ? { denyListFile: resolve(context.cwd, flags.denyList) } : {}),
        ...(issuers !== undefined ? { issuers } : {}),
      });
      try {
        if (accessLog !== undefined && !stage.hasAccessLogFormat) {
          stderr.write('The stage has no access-log format (AccessLogSetting.Format): --access-log stays empty.\n');
        }
        if (flags.issuerOut !== undefined) {
          // The key signs test tokens for this stage only; still, only the user may read it.
          writeFileSync(resolve(context.cwd, flags.issuerOut), `${JSON.stringify(stage.issuer, undefined, 2)}\n`, { mode: 0o600 });
        }
        if (flags.denyList !== undefined && !stage.standIns.some((standIn) => standIn.startsWith('deny list'))) {
          stderr.write('No authorizer of the API reads a deny list (revocation is off): --deny-list is not used.\n');
        }
        if (stage.standIns.length > 0) {
          stderr.write(`local stand-ins: ${stage.standIns.join(', ')}\n`);
        }
        if (stage.notEmulated.length > 0) {
          stderr.write(`not emulated: ${stage.notEmulated.join(', ')}\n`);
        }
        const trusted = issuers === undefined ? `local issuer ${stage.issuer.issuer}` : `issuers of ${flags.issuers}; Cognito user pool authorizers: local issuer ${stage.issuer.issuer}`;
        stderr.write(`Serving ${stacks[0]!.stackName} at ${stage.url.href} (${trusted}). Stop with Ctrl-C.\n`);
        await (context.untilStopped ?? untilSignalled)();
      } finally {
        await stage.close();
        await new Promise<void>((resolveEnd) => (accessLog === undefined ? resolveEnd() : accessLog.end(() => resolveEnd())));
      }
    });
}
