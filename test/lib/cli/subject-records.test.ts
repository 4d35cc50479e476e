import { statSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeText } from '../../../lambda/contract';
import { ExitCode } from '../../../lib/cli/errors';
import { pseudonym } from '../../../lib/cli/pseudonym';
import { TestDeployment, startTestDeployment } from './fixtures/deployment';

const GROUPS = {
  AccessLogGroupName: 'Demo-ApiAccessLogs-1',
  AuthorizerLogGroupName: '/aws/lambda/Demo-Authorizer-1',
  WafLogGroupName: 'aws-waf-logs-Demo-1',
  ExecutionLogGroupName: 'API-Gateway-Execution-Logs_abc123/prod',
};
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:Demo-PseudonymKey-AbCdEf';
const KEY = 'secure-api-pseudonym-test-key-0123456789abcdefghijklmnopqrstuvwx';
const ERASURE =
  "CloudWatch Logs cannot delete single log events: these records stay until their log group's retention ends, " +
  'also after the user is deleted (`secure-api users delete`). Only deleting a whole log group removes them sooner.';

let deployment: TestDeployment;

async function start(outputs: Record<string, string | undefined> = {}): Promise<void> {
  deployment = await startTestDeployment({ outputs: { ...GROUPS, ...outputs } });
  deployment.clock = Date.parse('2026-03-10T00:00:00Z');
  const at = (minute: number): number => Date.parse('2026-03-01T12:00:00Z') + minute * 60_000;
  const access = (minute: number, requestId: string, sub: string, principalId = sub) => ({
    timestamp: at(minute),
    message: JSON.stringify({ requestId, extendedRequestId: `${requestId}-ext=`, ip: '192.0.2.1', sub, principalId, clientId: 'web', status: '200' }),
  });
  const decision = (minute: number, sub: string) => ({ timestamp: at(minute), message: JSON.stringify({ level: 'info', msg: 'authorizer decision', requestId: `lambda-${minute}`, sub, clientId: 'web' }) });
  deployment.logs.groups.set(GROUPS.AccessLogGroupName, { retentionInDays: 365, events: [access(1, 'r1', 'user-1'), access(2, 'r2', 'user-2'), access(3, 'r3', 'user-1')] });
  deployment.logs.groups.set(GROUPS.AuthorizerLogGroupName, { retentionInDays: 90, events: [decision(1, 'user-1'), decision(2, 'user-2')] });
  deployment.logs.groups.set(GROUPS.WafLogGroupName, {
    retentionInDays: 30,
    events: [
      { timestamp: at(1), message: JSON.stringify({ action: 'ALLOW', httpRequest: { requestId: 'r1-ext=', clientIp: '192.0.2.1' } }) },
      { timestamp: at(2), message: JSON.stringify({ action: 'ALLOW', httpRequest: { requestId: 'r2-ext=', clientIp: '192.0.2.2' } }) },
    ],
  });
  deployment.logs.groups.set(GROUPS.ExecutionLogGroupName, {
    events: [
      { timestamp: at(1), message: '(r1) Method request path: {}' },
      { timestamp: at(2), message: '(r2) Method request path: {}' },
    ],
  });
}

afterEach(async () => {
  await deployment.close();
});

describe('secure-api subject-records', () => {
  test("happy flow: finds the subject's lines in every log, joining WAF and execution lines by request id, and says what stays", async () => {
    await start();

    const result = await deployment.run(['subject-records', '--sub', 'user-1', '--format', 'json']);

    expect(result.code).toBe(ExitCode.Ok);
    const answer = JSON.parse(result.stdout);
    expect(answer.records.map((record: { logGroup: string; message: string }) => [record.logGroup, record.message.slice(0, 40)])).toEqual([
      [GROUPS.AuthorizerLogGroupName, '{"level":"info","msg":"authorizer decisi'],
      [GROUPS.ExecutionLogGroupName, '(r1) Method request path: {}'],
      [GROUPS.AccessLogGroupName, '{"requestId":"r1","extendedRequestId":"r'],
      [GROUPS.WafLogGroupName, '{"action":"ALLOW","httpRequest":{"reques'],
      [GROUPS.AccessLogGroupName, '{"requestId":"r3","extendedRequestId":"r'],
    ]);
    expect(answer.records[0].timestamp).toBe('2026-03-01T12:01:00.000Z');
    expect(answer).toMatchObject({
      subject: { sub: 'user-1' },
      logProfile: 'full',
      to: '2026-03-10T00:00:00.000Z',
      truncated: false,
      erasure: ERASURE,
      logGroups: [
        { kind: 'access', name: GROUPS.AccessLogGroupName, retentionDays: 365 },
        { kind: 'decision', name: GROUPS.AuthorizerLogGroupName, retentionDays: 90 },
        { kind: 'waf', name: GROUPS.WafLogGroupName, retentionDays: 30 },
        { kind: 'execution', name: GROUPS.ExecutionLogGroupName, retentionDays: null },
      ],
    });
    // One group keeps events forever, so the default range is the longest the CLI accepts.
    expect(answer.from).toBe(new Date(Date.parse('2026-03-10T00:00:00Z') - 3650 * 86_400_000).toISOString());
    expect(deployment.logs.queries.map((query) => [query.logGroupNames, query.queryString])).toEqual([
      [
        [GROUPS.AccessLogGroupName, GROUPS.AuthorizerLogGroupName],
        'fields @timestamp, @log, @message, requestId, extendedRequestId\n| filter sub in ["user-1"] or principalId in ["user-1"]\n| sort @timestamp asc\n| limit 10000',
      ],
      [
        [GROUPS.WafLogGroupName],
        'fields @timestamp, @log, @message, requestId, extendedRequestId\n| filter httpRequest.requestId in ["r1-ext=", "r3-ext="]\n| sort @timestamp asc\n| limit 10000',
      ],
      [
        [GROUPS.ExecutionLogGroupName],
        'fields @timestamp, @log, @message, requestId, extendedRequestId\n| parse @message "(*) *" as executionRequestId, executionText\n| filter executionRequestId in ["r1", "r3"]\n| sort @timestamp asc\n| limit 10000',
      ],
    ]);
    expect(deployment.logs.requests.every((request) => request.signatureValid)).toBe(true);
    expect(result.stderr).toContain('secure-api: Found 5 record(s) of sub "user-1" in 4 log group(s) with 3 queries.\n');
  });

  test('happy flow: --since bounds the range; the table goes to a 0600 --out file with the retention of each group', async () => {
    await start({ WafLogGroupName: undefined, ExecutionLogGroupName: undefined });

    const result = await deployment.run(['subject-records', '--sub', 'user-1', '--username', 'alice', '--since', '30d', '--out', 'alice.txt']);

    expect(result.code).toBe(ExitCode.Ok);
    expect(result.stdout).toBe('');
    const path = join(deployment.dir, 'alice.txt');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const text = readFileSync(path, 'utf8');
    expect(text).toContain('Records of sub "user-1", user name "alice" from 2026-02-08T00:00:00.000Z to 2026-03-10T00:00:00.000Z: 3\n');
    expect(text).toContain(`Log groups searched:\n  access    ${GROUPS.AccessLogGroupName} (kept 365 days)\n  decision  ${GROUPS.AuthorizerLogGroupName} (kept 90 days)\n\n${ERASURE}\n`);
    expect(deployment.logs.queries[0]).toMatchObject({ startTime: Date.parse('2026-02-08T00:00:00Z') / 1000, endTime: Date.parse('2026-03-10T00:00:00Z') / 1000 });
    expect(deployment.logs.queries[0]!.queryString).toContain('filter sub in ["user-1"] or principalId in ["user-1"] or username in ["alice"]\n');
  });

  test('happy flow: under the pseudonymous profile the key is read from Secrets Manager and the pseudonyms are searched too', async () => {
    await start({ LogProfile: 'pseudonymous', PseudonymKeySecretArn: SECRET_ARN, WafLogGroupName: undefined, ExecutionLogGroupName: undefined });
    deployment.secretsManager.secrets.set(SECRET_ARN, KEY);
    const alias = pseudonym(Buffer.from(KEY), 'user-9');
    deployment.logs.groups.get(GROUPS.AuthorizerLogGroupName)!.events.push({
      timestamp: Date.parse('2026-03-02T00:00:00Z'),
      message: JSON.stringify({ level: 'info', msg: 'authorizer decision', sub: alias }),
    });

    const result = await deployment.run(['subject-records', '--sub', 'user-9', '--format', 'json']);

    expect(result.code).toBe(ExitCode.Ok);
    expect(JSON.parse(result.stdout)).toMatchObject({ logProfile: 'pseudonymous', records: [{ logGroup: GROUPS.AuthorizerLogGroupName }] });
    expect(deployment.secretsManager.requests).toMatchObject([{ action: 'GetSecretValue', signatureValid: true, body: { SecretId: SECRET_ARN } }]);
    expect(deployment.logs.queries[0]!.queryString).toContain(`filter sub in ["user-9", "${alias}"] or principalId in ["user-9", "${alias}"]`);
    expect(result.stdout + result.stderr).not.toContain(KEY);
  });

  test('hostile values: a sub with quotes, brackets and a newline is searched in its logged (encoded) form and cannot change the query', async () => {
    await start({ WafLogGroupName: undefined, ExecutionLogGroupName: undefined });
    const hostile = 'x"] or sub in ["user-2"]\n| limit 1';
    deployment.logs.groups.get(GROUPS.AuthorizerLogGroupName)!.events.push({
      timestamp: Date.parse('2026-03-02T00:00:00Z'),
      message: JSON.stringify({ level: 'info', msg: 'authorizer decision', sub: encodeText(hostile) }),
    });

    const result = await deployment.run(['subject-records', '--sub', hostile, '--format', 'json']);

    expect(result.code).toBe(ExitCode.Ok);
    const records = JSON.parse(result.stdout).records as Array<{ message: string }>;
    expect(records).toHaveLength(1);
    expect(JSON.parse(records[0]!.message).sub).toBe('x%22] or sub in [%22user-2%22]%0A| limit 1');
    expect(deployment.logs.queries[0]!.queryString.split('\n')).toHaveLength(4);
    expect(result.stderr).toContain('of sub "x\\"] or sub in [\\"user-2\\"]\\n| limit 1" in 2 log group(s)');
  });

  test('error flow: an empty --username or --client, which would match every line with that field empty, and a value longer than any logged one are refused before any call (exit 2)', async () => {
    await start();
    const refusals: Array<[string[], string]> = [
      [['--sub', 'user-1', '--username', ''], '--username is empty.'],
      [['--sub', 'user-1', '--client', ''], '--client is empty.'],
      [['--sub', 'x'.repeat(6000)], '--sub is 6000 characters once encoded as the logs hold it, more than the 256 of any logged identifier, so no line can match it.'],
      [['--sub', 'user-1', '--username', '"'.repeat(86)], '--username is 258 characters once encoded as the logs hold it, more than the 256 of any logged identifier, so no line can match it.'],
    ];
    for (const [flags, message] of refusals) {
      const result = await deployment.run(['subject-records', ...flags]);
      expect({ flags: flags.map((flag) => flag.slice(0, 10)), result }).toEqual({ flags: flags.map((flag) => flag.slice(0, 10)), result: { code: ExitCode.Usage, stdout: '', stderr: `secure-api: ${message}\n` } });
    }
    expect(deployment.logs.requests).toEqual([]);

    const longest = await deployment.run(['subject-records', '--sub', 'u'.repeat(256), '--format', 'json']);
    expect(longest.code).toBe(ExitCode.Ok);
  });

  test('happy flow: a running query is polled until it completes', async () => {
    await start({ WafLogGroupName: undefined, ExecutionLogGroupName: undefined });
    deployment.logs.runningPolls = 1;

    const result = await deployment.run(['subject-records', '--sub', 'user-1', '--format', 'json']);

    expect(result.code).toBe(ExitCode.Ok);
    expect(deployment.logs.actions().filter((action) => action === 'GetQueryResults')).toHaveLength(2);
  });

  test('error flow: a query that does not finish in --timeout is stopped (exit 5)', async () => {
    await start({ WafLogGroupName: undefined, ExecutionLogGroupName: undefined });
    deployment.logs.runningPolls = 100;

    const result = await deployment.run(['subject-records', '--sub', 'user-1', '--timeout', '1']);

    expect(result.code).toBe(ExitCode.AwsOther);
    expect(result.stderr).toContain('did not finish within 1 s, so it was stopped. Narrow --since, or raise --timeout.');
    expect(deployment.logs.stopped).toEqual(['q-1']);
  });

  test('error flow: a missing log group, denied access and throttling are sentences with their exit codes', async () => {
    await start({ WafLogGroupName: undefined, ExecutionLogGroupName: undefined });
    deployment.logs.groups.delete(GROUPS.AuthorizerLogGroupName);
    const missing = await deployment.run(['subject-records', '--sub', 'user-1']);
    deployment.logs.groups.set(GROUPS.AuthorizerLogGroupName, { events: [] });
    deployment.logs.deniedActions.add('StartQuery');
    const denied = await deployment.run(['subject-records', '--sub', 'user-1']);
    deployment.logs.deniedActions.clear();
    deployment.logs.failNext('StartQuery', { status: 400, type: 'LimitExceededException', message: 'Account maximum query concurrency limit of [30] reached.' }, 3);
    const throttled = await deployment.run(['subject-records', '--sub', 'user-1']);

    expect(missing.code).toBe(ExitCode.Config);
    expect(missing.stderr).toContain(`secure-api: Log group ${GROUPS.AuthorizerLogGroupName} does not exist in eu-west-1.`);
    expect(denied.code).toBe(ExitCode.AwsAuth);
    expect(denied.stderr).toContain(`secure-api: Your AWS identity may not call logs:StartQuery on log groups ${GROUPS.AccessLogGroupName}, ${GROUPS.AuthorizerLogGroupName} in eu-west-1.`);
    expect(throttled.code).toBe(ExitCode.AwsOther);
    expect(throttled.stderr).toContain('secure-api: CloudWatch Logs is throttling StartQuery (LimitExceededException), even after retries. Wait a minute and retry.\n');
  });

  test('error flow: the pseudonymous profile without a readable key (exit 3, exit 5)', async () => {
    await start({ LogProfile: 'pseudonymous', WafLogGroupName: undefined, ExecutionLogGroupName: undefined });
    const noOutput = await deployment.run(['subject-records', '--sub', 'user-1']);
    const noSecret = await deployment.run(['subject-records', '--sub', 'user-1', '--pseudonym-key-secret-arn', SECRET_ARN]);

    expect(noOutput.code).toBe(ExitCode.Config);
    expect(noOutput.stderr).toContain('has no output PseudonymKeySecretArn. Pass --pseudonym-key-secret-arn');
    expect(noSecret.code).toBe(ExitCode.AwsOther);
    expect(noSecret.stderr).toContain(`secure-api: Secrets Manager has no secret ${SECRET_ARN} in eu-west-1 (GetSecretValue).`);
    expect(deployment.logs.queries).toEqual([]);
  });
});
