/**
 * `secure-api subject-records`: one data subject's records across the API's logs, for a data subject
 * access request, with what cannot be erased and until when.
 */
import { resolve } from 'node:path';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { Command, Option } from 'commander';
import { LOG_PROFILES, MAX_LENGTH, encodeText, type LogProfile } from '../../../lambda/contract';
import { callService } from '../aws-errors';
import type { CliContext } from '../context';
import { parseDuration } from '../durations';
import { configError, usageError } from '../errors';
import { writeTextFile } from '../files';
import { printable, quoted, withProgress } from '../io';
import { OutputKey, SettingTrail, optionalSetting } from '../outputs';
import { pseudonym, pseudonymKey } from '../pseudonym';
import { LogGroupRetention, LogKind, SearchedLogGroup, SubjectRecordsResult, findSubjectRecords } from '../subject-records';
import { AwsFlags, addAwsOptions } from './options';
import { announce, loadOutputs, resolveStackRegion } from './settings';

/** The log profiles a stack can have; `full` when the outputs do not say. */
type LogProfileName = LogProfile;

/** Default wait for one query, in seconds. */
const DEFAULT_QUERY_TIMEOUT_SECONDS = 120;

interface SubjectRecordsFlags extends AwsFlags {
  readonly sub: string;
  readonly username?: string;
  readonly client?: string;
  readonly since?: string;
  readonly format: 'table' | 'json';
  readonly out?: string;
  readonly timeout?: string;
  readonly logProfile?: LogProfileName;
  readonly pseudonymKeySecretArn?: string;
  readonly accessLogGroup?: string;
  readonly decisionLogGroup?: string;
  readonly wafLogGroup?: string;
  readonly executionLogGroup?: string;
}

const GROUPS: ReadonlyArray<{ kind: LogKind; flag: string; property: keyof SubjectRecordsFlags; outputKey: string; required: boolean }> = [
  { kind: 'access', flag: '--access-log-group', property: 'accessLogGroup', outputKey: OutputKey.AccessLogGroupName, required: true },
  { kind: 'decision', flag: '--decision-log-group', property: 'decisionLogGroup', outputKey: OutputKey.AuthorizerLogGroupName, required: true },
  { kind: 'waf', flag: '--waf-log-group', property: 'wafLogGroup', outputKey: OutputKey.WafLogGroupName, required: false },
  { kind: 'execution', flag: '--execution-log-group', property: 'executionLogGroup', outputKey: OutputKey.ExecutionLogGroupName, required: false },
];

/** What every answer says about erasure. */
export const ERASURE_NOTE =
  'CloudWatch Logs cannot delete single log events: these records stay until their log group\'s retention ends, ' +
  'also after the user is deleted (`secure-api users delete`). Only deleting a whole log group removes them sooner.';

/** Adds `subject-records` to `program`. */
export function addSubjectRecordsCommand(program: Command, context: CliContext): void {
  const { stdout, stderr } = context.streams;
  const command = addAwsOptions(
    program
      .command('subject-records')
      .description("Find one data subject's records across the API's logs (access, decision, WAF, execution) with Logs Insights, for a data subject access request."),
  )
    .requiredOption('--sub <sub>', "the subject's sub (the user's `sub` attribute in the user pool)")
    .option('--username <name>', 'also match the user name (decision log)')
    .option('--client <id>', 'also match every line of this app client: only when the client is the subject\'s own')
    .option('--since <duration>', "how far back to search, e.g. 30d (default: the longest retention of the groups searched)")
    .addOption(new Option('--format <format>', 'a table, or JSON').choices(['table', 'json']).default('table'))
    .option('--out <file>', 'write the records to this file (mode 0600) instead of stdout')
    .option('--timeout <seconds>', `how long to wait for each query (default: ${DEFAULT_QUERY_TIMEOUT_SECONDS})`)
    .addOption(new Option('--log-profile <profile>', "the stack's log profile (default: output LogProfile, else full)").choices(LOG_PROFILES))
    .option('--pseudonym-key-secret-arn <arn>', 'the secret holding the pseudonym key (default: output PseudonymKeySecretArn)');
  GROUPS.forEach((group) => command.option(`${group.flag} <name>`, `the ${group.kind} log group (default: output ${group.outputKey})`));
  command.addHelpText(
    'after',
    [
      '',
      'Examples:',
      '  $ secure-api subject-records --sub 0f1e2d3c-... --username alice --out alice-records.json --format json',
      '',
      'Identifiers are searched in the form the logs hold them (encoded, and under the pseudonymous profile also',
      'as their keyed pseudonym). WAF and execution log lines name no identity: they are found by the request ids',
      'of the subject\'s access-log lines. ' + ERASURE_NOTE,
    ].join('\n'),
  );
  command.action(async (flags: SubjectRecordsFlags) => {
    for (const [flag, value] of [['--sub', flags.sub], ['--username', flags.username], ['--client', flags.client]] as const) {
      checkIdentifier(flag, value);
    }
    const maxWaitMs = parseQueryTimeout(flags.timeout);
    const sinceSeconds = flags.since === undefined ? undefined : parseDuration(flags.since, '--since');
    const trail = loadOutputs(context, flags);
    const groups = searchedGroups(flags, trail);
    const profile = logProfile(flags, trail);
    const secretArn =
      profile === 'pseudonymous'
        ? trail.require({ value: flags.pseudonymKeySecretArn, flag: '--pseudonym-key-secret-arn', outputKey: OutputKey.PseudonymKeySecretArn })
        : undefined;
    const settings = resolveStackRegion(context, flags, trail);
    announce(context, flags, trail);

    const result = await withProgress(stderr, 'Searching the logs', async (progress) => {
      let key: Uint8Array | undefined;
      if (secretArn !== undefined) {
        progress.update('Reading the pseudonym key');
        key = await readPseudonymKey(context, settings, secretArn);
      }
      // The logs hold identifiers encoded, and under the pseudonymous profile their pseudonyms; both are searched.
      const forms = (value: string | undefined): string[] => (value === undefined ? [] : [encodeText(value), ...(key === undefined ? [] : [pseudonym(key, value)])]);
      const client = context.awsClients.logs(settings);
      const endTime = Math.floor(context.now() / 1000);
      return findSubjectRecords({
        client,
        region: settings.region,
        groups,
        search: { subjects: forms(flags.sub), usernames: forms(flags.username), clients: forms(flags.client) },
        sinceSeconds,
        endTime,
        maxWaitMs,
        onStep: (text) => progress.update(text),
      });
    });
    const text = flags.format === 'json' ? formatJson(flags, profile, result) : formatTable(flags, result);
    if (flags.out === undefined) {
      stdout.write(text);
    } else {
      writeTextFile(resolve(context.cwd, flags.out), text, "the subject's records", 'Create the directory, or choose another --out.', 0o600);
    }
    stderr.write(
      `secure-api: Found ${result.records.length} record(s) of sub ${quoted(flags.sub)} in ${result.groups.length} log group(s) with ${result.queries} quer${result.queries === 1 ? 'y' : 'ies'}` +
        `${flags.out === undefined ? '' : `; wrote them to ${flags.out}`}.\n`,
    );
    if (result.truncated) {
      stderr.write(`secure-api: warning: a query returned its maximum of rows, so more records may exist. Narrow --since and run it again for each period.\n`);
    }
  });
}

/**
 * Refuses an identifier no log line can hold: an empty one would match every line whose field is empty,
 * and the authorizer logs no identifier longer than `MAX_LENGTH.id` once encoded.
 */
function checkIdentifier(flag: string, value: string | undefined): void {
  if (value === '') {
    throw usageError('ERR_EMPTY_VALUE', `${flag} is empty.`);
  }
  const length = value === undefined ? 0 : encodeText(value).length;
  if (length > MAX_LENGTH.id) {
    throw usageError(
      'ERR_VALUE_TOO_LONG',
      `${flag} is ${length} characters once encoded as the logs hold it, more than the ${MAX_LENGTH.id} of any logged identifier, so no line can match it.`,
    );
  }
}

function parseQueryTimeout(value: string | undefined): number {
  if (value === undefined) {
    return DEFAULT_QUERY_TIMEOUT_SECONDS * 1000;
  }
  const seconds = Number(value);
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > 3600) {
    throw usageError('ERR_BAD_TIMEOUT', `--timeout must be a whole number of seconds from 1 to 3600 (received: ${JSON.stringify(value)}).`);
  }
  return seconds * 1000;
}

function searchedGroups(flags: SubjectRecordsFlags, trail: SettingTrail): SearchedLogGroup[] {
  const groups: SearchedLogGroup[] = [];
  for (const group of GROUPS) {
    const source = { value: flags[group.property] as string | undefined, flag: group.flag, outputKey: group.outputKey };
    if (group.required || optionalSetting(trail.outputs, source) !== undefined) {
      groups.push({ kind: group.kind, name: trail.require(source) });
    }
  }
  return groups;
}

function logProfile(flags: SubjectRecordsFlags, trail: SettingTrail): LogProfileName {
  if (flags.logProfile !== undefined) {
    return flags.logProfile;
  }
  const fromOutputs = trail.outputs?.values[OutputKey.LogProfile];
  if (fromOutputs === undefined) {
    return 'full';
  }
  if (!(LOG_PROFILES as readonly string[]).includes(fromOutputs)) {
    throw configError('ERR_BAD_LOG_PROFILE', `Output LogProfile is ${quoted(fromOutputs)}, not one of ${LOG_PROFILES.join(', ')}. Pass --log-profile.`);
  }
  trail.record({ name: OutputKey.LogProfile, value: fromOutputs, source: `output ${OutputKey.LogProfile}`, fromOutputs: true });
  return fromOutputs as LogProfileName;
}

async function readPseudonymKey(context: CliContext, settings: { region: string; profile?: string }, secretArn: string): Promise<Uint8Array> {
  const client = context.awsClients.secretsManager(settings);
  const response = await callService(
    {
      service: 'Secrets Manager',
      iamPrefix: 'secretsmanager',
      action: 'GetSecretValue',
      region: settings.region,
      resource: `secret ${secretArn}`,
      notFoundHint: 'Check --pseudonym-key-secret-arn (default: output PseudonymKeySecretArn).',
    },
    () => client.send(new GetSecretValueCommand({ SecretId: secretArn })),
  );
  if (response.SecretString === undefined || response.SecretString === '') {
    throw configError('ERR_PSEUDONYM_KEY_EMPTY', `Secret ${secretArn} holds no SecretString, so it cannot be the pseudonym key. Check --pseudonym-key-secret-arn.`);
  }
  return pseudonymKey(response.SecretString);
}

function describeRetention(group: LogGroupRetention): string {
  return group.retentionDays === undefined ? 'never expires' : `kept ${group.retentionDays} days`;
}

function formatJson(flags: SubjectRecordsFlags, profile: LogProfileName, result: SubjectRecordsResult): string {
  return `${JSON.stringify(
    {
      subject: { sub: flags.sub, ...(flags.username === undefined ? {} : { username: flags.username }), ...(flags.client === undefined ? {} : { clientId: flags.client }) },
      logProfile: profile,
      from: new Date(result.startTime * 1000).toISOString(),
      to: new Date(result.endTime * 1000).toISOString(),
      logGroups: result.groups.map((group) => ({ kind: group.kind, name: group.name, retentionDays: group.retentionDays ?? null })),
      records: result.records,
      truncated: result.truncated,
      erasure: ERASURE_NOTE,
    },
    undefined,
    2,
  )}\n`;
}

function formatTable(flags: SubjectRecordsFlags, result: SubjectRecordsResult): string {
  const who = [`sub ${quoted(flags.sub)}`, ...(flags.username === undefined ? [] : [`user name ${quoted(flags.username)}`]), ...(flags.client === undefined ? [] : [`client ${quoted(flags.client)}`])];
  const lines = [
    `Records of ${who.join(', ')} from ${new Date(result.startTime * 1000).toISOString()} to ${new Date(result.endTime * 1000).toISOString()}: ${result.records.length}${result.truncated ? ' (more may exist)' : ''}`,
    '',
    ...result.records.map((record) => `${record.timestamp}  ${record.logGroup}  ${printable(record.message)}`),
    ...(result.records.length > 0 ? [''] : []),
    'Log groups searched:',
    ...result.groups.map((group) => `  ${group.kind.padEnd(9)} ${group.name} (${describeRetention(group)})`),
    '',
    ERASURE_NOTE,
  ];
  return `${lines.join('\n')}\n`;
}
