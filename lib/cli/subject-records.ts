/**
 * Finds one data subject's records across the API's logs with CloudWatch Logs Insights, for a data
 * subject access request: by identity in the access and decision logs, then by request id in the WAF
 * and execution logs (whose lines name no identity). Also reads each log group's retention, because
 * CloudWatch Logs cannot delete single events: the records stay until their group's retention ends.
 */
import {
  CloudWatchLogsClient,
  DescribeLogGroupsCommand,
  GetQueryResultsCommand,
  StartQueryCommand,
  StopQueryCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { ServiceCallContext, callService } from './aws-errors';
import { MAX_DURATION_SECONDS } from './durations';
import { CliError, ExitCode, configError } from './errors';
import { MAX_QUERY_ROWS, SubjectSearch, subjectQueryString } from './subject-query';

/** Which log a group is. */
export type LogKind = 'access' | 'decision' | 'waf' | 'execution';

/** A log group to search. */
export interface SearchedLogGroup {
  /** Which log it is. */
  readonly kind: LogKind;
  /** The log group name. */
  readonly name: string;
}

/** A searched log group and how long it keeps events. */
export interface LogGroupRetention extends SearchedLogGroup {
  /** Days events are kept; `undefined` when they never expire. */
  readonly retentionDays?: number;
}

/** One log event of the subject. */
export interface SubjectRecord {
  /** When it was logged, ISO 8601. */
  readonly timestamp: string;
  /** The log group it is in. */
  readonly logGroup: string;
  /** The event as logged. */
  readonly message: string;
}

/** What {@link findSubjectRecords} needs. */
export interface SubjectRecordsRequest {
  /** A client for the log groups' region. */
  readonly client: CloudWatchLogsClient;
  /** Their region. */
  readonly region: string;
  /** The log groups to search. */
  readonly groups: readonly SearchedLogGroup[];
  /** What identifies the subject, in the forms the logs hold. */
  readonly search: Pick<SubjectSearch, 'subjects' | 'usernames' | 'clients'>;
  /** How far back from `endTime` to search, in seconds. @default - the longest retention of the groups */
  readonly sinceSeconds?: number;
  /** End of the time range, epoch seconds. */
  readonly endTime: number;
  /** How long to wait for one query before giving up, in milliseconds. */
  readonly maxWaitMs: number;
  /** Time between two polls of a running query, in milliseconds. @default 1000 */
  readonly pollMs?: number;
  /** Called before each query, for the progress indicator. */
  readonly onStep?: (text: string) => void;
}

/** What {@link findSubjectRecords} found. */
export interface SubjectRecordsResult {
  /** The records, oldest first. */
  readonly records: SubjectRecord[];
  /** The searched groups with their retention. */
  readonly groups: LogGroupRetention[];
  /** True when a query returned its maximum of rows, so more records may exist. */
  readonly truncated: boolean;
  /** How many queries ran. */
  readonly queries: number;
  /** Start of the time range searched, epoch seconds. */
  readonly startTime: number;
  /** End of the time range searched, epoch seconds. */
  readonly endTime: number;
}

/** Request ids per follow-up query, which keeps the query text well under its 10,000-character limit. */
const IDS_PER_QUERY = 100;
const DEFAULT_POLL_MS = 1000;

/** Runs the search. */
export async function findSubjectRecords(request: SubjectRecordsRequest): Promise<SubjectRecordsResult> {
  const groups: LogGroupRetention[] = [];
  for (const group of request.groups) {
    groups.push({ ...group, retentionDays: await retentionOf(request, group.name) });
  }
  const startTime = request.endTime - (request.sinceSeconds ?? defaultSinceSeconds(groups));
  const range = { startTime, endTime: request.endTime };
  const named = (kinds: LogKind[]): string[] => request.groups.filter((group) => kinds.includes(group.kind)).map((group) => group.name);
  const rows: Array<Record<string, string>> = [];
  let truncated = false;
  let queries = 0;
  const run = async (names: string[], search: SubjectSearch, step: string): Promise<Array<Record<string, string>>> => {
    request.onStep?.(step);
    queries++;
    const found = await runQuery(request, range, names, subjectQueryString(search));
    truncated ||= found.length >= MAX_QUERY_ROWS;
    rows.push(...found);
    return found;
  };

  const identityRows = await run(named(['access', 'decision']), request.search, 'Searching the access and decision logs');
  const accessGroups = new Set(named(['access']));
  // Only the access log's ids are API Gateway's: the decision log's requestId is the authorizer Lambda's.
  const accessRows = identityRows.filter((row) => accessGroups.has(groupName(row['@log'])));
  const ids = (field: string): string[] => [...new Set(accessRows.map((row) => row[field]).filter((id): id is string => id !== undefined && /^[\w=+/-]+$/.test(id)))];
  for (const [kinds, field, key] of [
    [['waf'], 'extendedRequestId', 'extendedRequestIds'],
    [['execution'], 'requestId', 'requestIds'],
  ] as const) {
    const names = named([...kinds]);
    const all = ids(field);
    for (let start = 0; names.length > 0 && start < all.length; start += IDS_PER_QUERY) {
      await run(names, { [key]: all.slice(start, start + IDS_PER_QUERY) }, `Searching the ${kinds[0]} log for ${all.length} request(s)`);
    }
  }
  const records = rows
    .map((row) => ({ timestamp: isoTimestamp(row['@timestamp'] ?? ''), logGroup: groupName(row['@log']), message: row['@message'] ?? '' }))
    .sort((a, b) => compare(a.timestamp, b.timestamp) || compare(a.logGroup, b.logGroup));
  return { records, groups, truncated, queries, ...range };
}

async function retentionOf(request: SubjectRecordsRequest, name: string): Promise<number | undefined> {
  const response = await callService(context(request, 'DescribeLogGroups', `log group ${name}`), () =>
    request.client.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: name, limit: 50 })),
  );
  const group = response.logGroups?.find((candidate) => candidate.logGroupName === name);
  if (group === undefined) {
    throw configError(
      'ERR_LOG_GROUP_NOT_FOUND',
      `Log group ${name} does not exist in ${request.region}. Check the outputs file (--outputs, --stack) and --region.`,
    );
  }
  return group.retentionInDays;
}

/** Starts one query, waits for it (bounded), and returns its rows as field-to-value records. */
async function runQuery(
  request: SubjectRecordsRequest,
  range: { startTime: number; endTime: number },
  logGroupNames: string[],
  queryString: string,
): Promise<Array<Record<string, string>>> {
  const where = `log groups ${logGroupNames.join(', ')}`;
  const started = await callService(context(request, 'StartQuery', where), () =>
    request.client.send(new StartQueryCommand({ logGroupNames, queryString, ...range, limit: MAX_QUERY_ROWS })),
  );
  const queryId = started.queryId!;
  const pollMs = request.pollMs ?? DEFAULT_POLL_MS;
  for (let waited = 0; ; waited += pollMs) {
    const results = await callService(context(request, 'GetQueryResults', where), () => request.client.send(new GetQueryResultsCommand({ queryId })));
    switch (results.status) {
      case 'Complete':
        return (results.results ?? []).map((fields) => Object.fromEntries(fields.map((field) => [field.field ?? '', field.value ?? ''])));
      case 'Scheduled':
      case 'Running':
      case undefined:
        break;
      default:
        throw new CliError('ERR_QUERY_FAILED', `The Logs Insights query over ${where} ended ${results.status}. Retry, or narrow --since.`, { exitCode: ExitCode.AwsOther });
    }
    if (waited + pollMs > request.maxWaitMs) {
      await callService(context(request, 'StopQuery', where), () => request.client.send(new StopQueryCommand({ queryId }))).catch(() => undefined);
      throw new CliError(
        'ERR_QUERY_TIMEOUT',
        `The Logs Insights query over ${where} did not finish within ${request.maxWaitMs / 1000} s, so it was stopped. Narrow --since, or raise --timeout.`,
        { exitCode: ExitCode.AwsOther },
      );
    }
    await new Promise((resolveWait) => setTimeout(resolveWait, pollMs));
  }
}

/** The default time range: the longest retention of the groups, or the longest duration when one keeps events forever. */
export function defaultSinceSeconds(groups: readonly LogGroupRetention[]): number {
  return groups.some((group) => group.retentionDays === undefined) ? MAX_DURATION_SECONDS : Math.max(...groups.map((group) => group.retentionDays! * 86_400));
}

/** Code-unit order, the same on every machine (unlike `localeCompare`). */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** `@log` is `<account id>:<log group name>`. */
function groupName(log: string | undefined): string {
  return log === undefined ? '' : log.slice(log.indexOf(':') + 1);
}

/** Logs Insights writes `2026-03-01 12:00:00.000` in UTC. */
function isoTimestamp(value: string): string {
  return /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d+)?$/.test(value) ? `${value.replace(' ', 'T')}Z` : value;
}

function context(request: SubjectRecordsRequest, action: string, resource: string): ServiceCallContext {
  return {
    service: 'CloudWatch Logs',
    iamPrefix: 'logs',
    action,
    region: request.region,
    resource,
    notFoundHint: 'Check the log group names in the outputs file (--outputs, --stack) and --region.',
  };
}
