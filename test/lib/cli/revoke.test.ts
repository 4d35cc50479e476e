import { mkdirSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { CONFIG_ENV_VAR } from '../../../lambda/contract';
import { ExitCode } from '../../../lib/cli/errors';
import { DENY_LIST_TABLE, TestDeployment, WEB_CLIENT_ID, startTestDeployment, stdinWith } from './fixtures/deployment';
import { FakeItem } from './fixtures/fake-dynamodb';
import { parseRevocation } from '../../../lib/cli/revocations';

let deployment: TestDeployment;

beforeEach(async () => {
  deployment = await startTestDeployment({ scanPageSize: 2 });
});

afterEach(async () => {
  await deployment.close();
});

const table = (): Map<string, FakeItem> => deployment.dynamoDb.tables.get(DENY_LIST_TABLE)!;
const now = (): number => Math.floor(deployment.clock / 1000);
const DELAY_NOTE =
  'The authorizer refuses the tokens it covers once its results cache for them expires and its deny-list snapshot renews: ' +
  "at most the authorizer's cache TTL plus the deny list's refresh interval plus one read of the table (run it where `cdk.out` is, or pass --cdk-out, to see this stack's numbers).\n";

/** Writes a cloud assembly holding stack Demo with one authorizer of the given cache TTL and deny-list refresh. */
function writeAssembly(dir: string, ttl: number, refreshSeconds: number): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ artifacts: { Demo: { type: 'aws:cloudformation:stack', properties: { templateFile: 'Demo.template.json' } } } }));
  const config = { denyList: { tableName: DENY_LIST_TABLE, region: 'eu-west-1', refreshSeconds, whenUnavailable: 'allow' } };
  writeFileSync(
    join(dir, 'Demo.template.json'),
    JSON.stringify({
      Resources: {
        Authorizer: {
          Type: 'AWS::ApiGateway::Authorizer',
          Properties: { Type: 'TOKEN', AuthorizerResultTtlInSeconds: ttl, AuthorizerUri: { 'Fn::Join': ['', ['arn:aws:apigateway:', { 'Fn::GetAtt': ['AuthorizerFn', 'Arn'] }, '/invocations']] } },
        },
        AuthorizerFn: { Type: 'AWS::Lambda::Function', Properties: { Environment: { Variables: { [CONFIG_ENV_VAR]: JSON.stringify(config) } } } },
      },
    }),
  );
}

describe('secure-api revoke', () => {
  test('happy flow: revoke sub writes a signed PutItem with the entry the authorizer reads, and says when it takes effect', async () => {
    const result = await deployment.run(['revoke', 'sub', 'user-123', '--reason', 'stolen laptop']);

    expect(result).toEqual({
      code: ExitCode.Ok,
      stdout: `Revoked sub "user-123" in the deny list ${DENY_LIST_TABLE} (never expires; reason "stolen laptop").\n${DELAY_NOTE}`,
      stderr: deployment.outputsNote('DenyListTableName', 'UserPoolId'),
    });
    expect(table().get('sub#user-123')).toEqual({
      pk: { S: 'sub#user-123' },
      reason: { S: 'stolen laptop' },
      createdAt: { N: String(now()) },
      createdBy: { S: userInfo().username },
    });
    expect(deployment.dynamoDb.requests).toHaveLength(1);
    expect(deployment.dynamoDb.requests[0]).toMatchObject({ action: 'PutItem', signatureValid: true });
    expect(deployment.dynamoDb.requests[0]!.credentialScope).toMatch(/\/eu-west-1\/dynamodb\/aws4_request$/);
  });

  test("happy flow: with cdk.out at hand, the delay names the stack's cache TTL and deny-list refresh", async () => {
    writeAssembly(join(deployment.dir, 'cdk.out'), 60, 30);
    writeAssembly(join(deployment.dir, 'elsewhere'), 300, 10);

    const here = await deployment.run(['revoke', 'client', 'c1', '--reason', 'r']);
    const there = await deployment.run(['revoke', 'client', 'c2', '--reason', 'r', '--cdk-out', 'elsewhere']);

    expect(here.stdout.split('\n')[1]).toBe(
      'The authorizer refuses the tokens it covers within about 90 s: its results-cache TTL (1 min) plus the deny list\'s refresh interval (30 s) ' +
        'plus one read of the table (from stack Demo in cdk.out, as synthesized).',
    );
    expect(there.stdout).toContain('within about 310 s: its results-cache TTL (5 min) plus the deny list\'s refresh interval (10 s)');
  });

  test('happy flow: revoke sub --username checks that the user has that sub, then also signs them out everywhere', async () => {
    await deployment.run(['users', 'create', 'alice', '--email', 'alice@example.com']);
    const sub = deployment.cognito.users.get('alice')!.attributes.sub!;

    const result = await deployment.run(['revoke', 'sub', sub, '--username', 'alice', '--reason', 'stolen laptop', '--by', 'oncall']);

    expect(result.code).toBe(ExitCode.Ok);
    expect(result.stdout).toContain('Signed out user alice everywhere: their refresh tokens are revoked.');
    expect(deployment.cognito.requests.map((request) => request.action)).toEqual(['AdminCreateUser', 'AdminGetUser', 'AdminUserGlobalSignOut']);
    expect(deployment.cognito.users.get('alice')!.globalSignOuts).toBe(1);
    expect(table().get(`sub#${sub}`)!.createdBy).toEqual({ S: 'oncall' });
  });

  test('error flow: revoke sub --username of a user with another sub changes nothing (exit 2)', async () => {
    await deployment.run(['users', 'create', 'alice', '--email', 'alice@example.com']);
    const sub = deployment.cognito.users.get('alice')!.attributes.sub!;

    const result = await deployment.run(['revoke', 'sub', 'someone-else', '--username', 'alice', '--reason', 'typo']);

    expect(result.code).toBe(ExitCode.Usage);
    expect(result.stderr).toContain(`secure-api: User alice has sub "${sub}", not "someone-else"; nothing was changed. Check both values.\n`);
    expect(table().size).toBe(0);
    expect(deployment.cognito.users.get('alice')!.globalSignOuts).toBe(0);
  });

  test('error flow: when RevokeToken fails, the deny-list entry written before is still reported', async () => {
    deployment.cognito.failNext('RevokeToken', { status: 400, type: 'UnsupportedTokenTypeException', message: 'Unsupported token type' });

    const result = await deployment.run(['revoke', 'token', 'jti-2', '--reason', 'r', '--refresh-token-stdin'], { stdin: stdinWith('not-a-refresh-token') });

    expect(result.code).toBe(ExitCode.AwsOther);
    expect(result.stdout).toContain(`Revoked token id (jti) "jti-2" in the deny list ${DENY_LIST_TABLE}`);
    expect(result.stderr).toContain('UnsupportedTokenTypeException');
    expect(table().has('jti#jti-2')).toBe(true);
  });

  test('error flow: --refresh-token-stdin refuses standard input that cannot be one refresh token before anything is written, and never echoes it (exit 2)', async () => {
    const secretish = 'eyJjdHkiOiJKV1QifQ.part';
    const refusals: Array<[string, string]> = [
      [`${secretish}\n${secretish}\n`, 'Standard input holds more than one line or word; --refresh-token-stdin takes one refresh token, alone.'],
      [`${secretish} trailing-word`, 'Standard input holds more than one line or word; --refresh-token-stdin takes one refresh token, alone.'],
      [`${secretish}\u0000`, 'Standard input holds more than one line or word; --refresh-token-stdin takes one refresh token, alone.'],
      [`${secretish}${'x'.repeat(3_000_000)}`, 'Standard input holds more than 16384 bytes, more than any refresh token; --refresh-token-stdin takes one refresh token, alone.'],
    ];
    for (const [stdin, message] of refusals) {
      const result = await deployment.run(['revoke', 'token', 'jti-3', '--reason', 'r', '--refresh-token-stdin'], { stdin: stdinWith(stdin) });
      expect({ code: result.code, stdout: result.stdout, lastLine: result.stderr.trimEnd().split('\n').pop() }).toEqual({ code: ExitCode.Usage, stdout: '', lastLine: `secure-api: ${message}` });
      expect(result.stderr).not.toContain(secretish);
    }
    expect(deployment.dynamoDb.requests).toEqual([]);
    expect(deployment.cognito.revokedTokens).toEqual([]);
  });

  test('error flow: revoke token --refresh-token-stdin with an app client that does not exist writes nothing (exit 5)', async () => {
    const result = await deployment.run(['revoke', 'token', 'jti-4', '--reason', 'r', '--refresh-token-stdin', '--client-id', 'no-such-client'], {
      stdin: stdinWith('refresh-token'),
    });

    expect(result).toMatchObject({ code: ExitCode.AwsOther, stdout: '' });
    expect(result.stderr).toContain('User pool client no-such-client does not exist.');
    expect(deployment.dynamoDb.requests).toEqual([]);
    expect(deployment.cognito.revokedTokens).toEqual([]);
  });

  test('happy flow: revoke client with --expires-in writes the TTL attribute', async () => {
    const result = await deployment.run(['revoke', 'client', 'leaky-client', '--reason', 'secret leaked', '--expires-in', '30d']);

    expect(result.code).toBe(ExitCode.Ok);
    expect(table().get('client#leaky-client')!.expiresAt).toEqual({ N: String(now() + 30 * 86_400) });
    expect(result.stdout).toContain(`Revoked client id "leaky-client" in the deny list ${DENY_LIST_TABLE} (expires ${new Date((now() + 30 * 86_400) * 1000).toISOString()}`);
  });

  test('happy flow: revoke token expires after a day by default, and --refresh-token-stdin revokes the refresh token with RevokeToken', async () => {
    const result = await deployment.run(['revoke', 'token', 'origin-jti-1', '--reason', 'session hijack', '--refresh-token-stdin'], {
      stdin: stdinWith('eyJjdHkiOiJKV1QiLCJlbmMiOiJBMjU2R0NNIn0.refresh\n'),
    });

    expect(result.code).toBe(ExitCode.Ok);
    expect(table().get('jti#origin-jti-1')!.expiresAt).toEqual({ N: String(now() + 86_400) });
    expect(deployment.cognito.revokedTokens).toEqual([{ token: 'eyJjdHkiOiJKV1QiLCJlbmMiOiJBMjU2R0NNIn0.refresh', clientId: WEB_CLIENT_ID }]);
    expect(result.stdout).toContain(`Revoked the refresh token with Cognito (RevokeToken, client ${WEB_CLIENT_ID})`);
    expect(result.stdout + result.stderr).not.toContain('eyJjdHkiOiJKV1QiLCJlbmMiOiJBMjU2R0NNIn0');
  });

  test('happy flow: revoke before now rounds up to the next second; --client limits it to one client', async () => {
    deployment.clock = 1_767_225_600_250;

    expect((await deployment.run(['revoke', 'before', 'now', '--reason', 'key rotated'])).code).toBe(ExitCode.Ok);
    expect((await deployment.run(['revoke', 'before', '2026-01-01T00:00:00Z', '--client', 'c1', '--reason', 'c1 compromised'])).code).toBe(ExitCode.Ok);

    expect(table().get('before#*')!.issuedBefore).toEqual({ N: '1767225601' });
    expect(table().get('before#c1')!.issuedBefore).toEqual({ N: '1767225600' });
  });

  test('happy flow: a second revoke never narrows an entry (an earlier time, or an expiry on a permanent entry), and says so', async () => {
    deployment.clock = Date.parse('2026-03-01T12:00:00Z');
    await deployment.run(['revoke', 'before', 'now', '--reason', 'first']);
    await deployment.run(['revoke', 'sub', 's1', '--reason', 'permanent']);

    const earlier = await deployment.run(['revoke', 'before', '2026-02-01T00:00:00Z', '--reason', 'second']);
    const shorter = await deployment.run(['revoke', 'sub', 's1', '--reason', 'temporary', '--expires-in', '1h']);

    expect(earlier.code).toBe(ExitCode.Ok);
    expect(earlier.stdout).toContain(
      `The deny list ${DENY_LIST_TABLE} already holds an entry that covers at least as much: every token issued before 2026-03-01T12:00:00.000Z, never expires`,
    );
    expect(table().get('before#*')!.reason).toEqual({ S: 'first' });
    expect(shorter.stdout).toContain('already holds an entry that covers at least as much: sub "s1", never expires');
    expect(table().get('sub#s1')!.reason).toEqual({ S: 'permanent' });
  });

  test('happy flow: a later time replaces an entry, and so does anything once the old entry has expired', async () => {
    deployment.clock = Date.parse('2026-03-01T12:00:00Z');
    await deployment.run(['revoke', 'before', 'now', '--reason', 'first', '--expires-in', '1h']);
    deployment.clock += 2 * 3_600_000;

    const result = await deployment.run(['revoke', 'before', '2026-03-01T11:00:00Z', '--reason', 'after expiry']);

    expect(result.stdout).toContain('Revoked every token issued before 2026-03-01T11:00:00.000Z');
    expect(table().get('before#*')).toMatchObject({ reason: { S: 'after expiry' }, issuedBefore: { N: String(Date.parse('2026-03-01T11:00:00Z') / 1000) } });
    expect(table().get('before#*')!.expiresAt).toBeUndefined();
  });

  test('error flow: an entry that is later but expires sooner than the one asked for is a conflict the operator resolves (exit 2)', async () => {
    deployment.clock = Date.parse('2026-03-01T12:00:00Z');
    await deployment.run(['revoke', 'before', 'now', '--reason', 'first', '--expires-in', '1h']);

    const result = await deployment.run(['revoke', 'before', '2026-03-01T11:00:00Z', '--reason', 'longer but earlier']);

    expect(result.code).toBe(ExitCode.Usage);
    expect(result.stderr).toContain(
      `secure-api: The deny list ${DENY_LIST_TABLE} already holds every token issued before 2026-03-01T12:00:00.000Z, expires 2026-03-01T13:00:00.000Z, ` +
        'revoked by',
    );
    expect(result.stderr).toContain('which this entry would narrow (an earlier time or a sooner expiry); nothing changed. Unrevoke it, then revoke with the values you want.\n');
    expect(table().get('before#*')!.reason).toEqual({ S: 'first' });
  });

  test('hostile values: a sub with quotes, a newline and a bidi override is stored exactly and printed escaped', async () => {
    const sub = 'evil"\nsub\u202e';

    const result = await deployment.run(['revoke', 'sub', sub, '--reason', 'line1\nline2']);

    expect(result.code).toBe(ExitCode.Ok);
    expect(table().get(`sub#${sub}`)!.pk).toEqual({ S: `sub#${sub}` });
    expect(result.stdout.split('\n')[0]).toBe(`Revoked sub "evil\\"\\nsub\\u202e" in the deny list ${DENY_LIST_TABLE} (never expires; reason "line1\\nline2").`);
  });

  test('error flow: usage mistakes change nothing (exit 2)', async () => {
    const attempts = [
      ['revoke', 'sub', 's1'],
      ['revoke', 'sub', 's1', '--reason', ' '],
      ['revoke', 'sub', '', '--reason', 'r'],
      ['revoke', 'client', '*', '--reason', 'r'],
      ['revoke', 'before', 'now', '--client', '*', '--reason', 'r'],
      ['revoke', 'before', '2026-03-01T12:00:00', '--reason', 'no zone'],
      ['revoke', 'before', new Date(Date.now() + 3_600_000).toISOString(), '--reason', 'future'],
      ['revoke', 'sub', 's1', '--reason', 'r', '--expires-in', '10 days'],
    ];
    for (const args of attempts) {
      deployment.clock = Date.now();
      const result = await deployment.run(args);
      expect({ args, code: result.code }).toEqual({ args, code: ExitCode.Usage });
    }
    expect(deployment.dynamoDb.requests).toEqual([]);
  });

  test('error flow: revoke before refuses a date that does not exist and a time before the epoch, instead of reading another time (exit 2)', async () => {
    const refusals: Array<[string, string]> = [
      ['2026-02-30T00:00:00Z', 'The time must be `now` or an ISO 8601 time with a zone, e.g. 2026-05-01T12:00:00Z (received: "2026-02-30T00:00:00Z").'],
      ['2026-01-01T24:00:00Z', 'The time must be `now` or an ISO 8601 time with a zone, e.g. 2026-05-01T12:00:00Z (received: "2026-01-01T24:00:00Z").'],
      ['2026-04-31T12:00:00+02:00', 'The time must be `now` or an ISO 8601 time with a zone, e.g. 2026-05-01T12:00:00Z (received: "2026-04-31T12:00:00+02:00").'],
      ['2026-01-01T12:00:00+24:00', 'The time must be `now` or an ISO 8601 time with a zone, e.g. 2026-05-01T12:00:00Z (received: "2026-01-01T12:00:00+24:00").'],
      ['1969-12-31T23:59:59Z', 'The time must not be before 1970-01-01T00:00:00Z, the start of token issue times (received: "1969-12-31T23:59:59Z").'],
      ['0000-01-01T00:00:00Z', 'The time must not be before 1970-01-01T00:00:00Z, the start of token issue times (received: "0000-01-01T00:00:00Z").'],
    ];
    for (const [time, message] of refusals) {
      const result = await deployment.run(['revoke', 'before', time, '--reason', 'r']);
      expect({ time, result }).toEqual({ time, result: { code: ExitCode.Usage, stdout: '', stderr: `secure-api: ${message}\n` } });
    }
    expect(deployment.dynamoDb.requests).toEqual([]);

    const leapDay = await deployment.run(['revoke', 'before', '2024-02-29T23:30:00-01:00', '--reason', 'r']);
    expect(leapDay.code).toBe(ExitCode.Ok);
    expect(table().get('before#*')!.issuedBefore).toEqual({ N: String(Date.parse('2024-03-01T00:30:00Z') / 1000) });
  });

  test('error flow: a --reason or --by too long for an audit line, or an empty --by, is refused before anything is written (exit 2)', async () => {
    const refusals: Array<[string[], string]> = [
      [['--reason', 'x'.repeat(10_240)], '--reason must be at most 1024 bytes, a sentence or two for the audit trail (received: 10240 bytes).'],
      [['--reason', 'é'.repeat(513)], '--reason must be at most 1024 bytes, a sentence or two for the audit trail (received: 1026 bytes).'],
      [['--reason', 'r', '--by', 'x'.repeat(500_000)], '--by must be at most 1024 bytes, a sentence or two for the audit trail (received: 500000 bytes).'],
      [['--reason', 'r', '--by', ' '], '--by is empty: name who revokes, or leave --by out for your operating-system user name.'],
    ];
    for (const [flags, message] of refusals) {
      const result = await deployment.run(['revoke', 'sub', 's1', ...flags]);
      expect({ code: result.code, stdout: result.stdout, lastLine: result.stderr.trimEnd().split('\n').pop() }).toEqual({ code: ExitCode.Usage, stdout: '', lastLine: `secure-api: ${message}` });
    }
    expect(deployment.dynamoDb.requests).toEqual([]);

    const withControls = await deployment.run(['revoke', 'sub', 's1', '--reason', 'a\u001b[31m\nb'.padEnd(1024, '.')]);
    expect(withControls.code).toBe(ExitCode.Ok);
    expect(withControls.stdout).toContain('reason "a\\u001b[31m\\nb...');
  });

  test('error flow: an empty --table or --client-id (an unset shell variable) is refused, never replaced by the output of outputs.json (exit 2)', async () => {
    const attempts: Array<[string[], string]> = [
      [['revoke', 'sub', 's1', '--reason', 'r', '--table', ''], '--table is empty. Pass a value, or leave --table out to use output DenyListTableName.'],
      [['unrevoke', 'sub', 's1', '--table', ''], '--table is empty. Pass a value, or leave --table out to use output DenyListTableName.'],
      [['revoke', 'token', 'j1', '--reason', 'r', '--refresh-token-stdin', '--client-id', ''], '--client-id is empty. Pass a value, or leave --client-id out to use output WebClientId.'],
    ];
    for (const [args, message] of attempts) {
      const result = await deployment.run(args, { stdin: stdinWith('refresh-token') });
      expect({ args, code: result.code, stdout: result.stdout, lastLine: result.stderr.trimEnd().split('\n').pop() }).toEqual({ args, code: ExitCode.Usage, stdout: '', lastLine: `secure-api: ${message}` });
    }
    expect(deployment.dynamoDb.requests).toEqual([]);
    expect(deployment.cognito.revokedTokens).toEqual([]);
  });

  test('error flow: a stack without revocation names the missing output (exit 3)', async () => {
    await deployment.close();
    deployment = await startTestDeployment({ outputs: { DenyListTableName: undefined } });

    const result = await deployment.run(['revoke', 'sub', 's1', '--reason', 'r']);

    expect(result.code).toBe(ExitCode.Config);
    expect(result.stderr).toContain('Stack Demo in outputs.json has no output DenyListTableName. Pass --table, or choose the stack that exports it with --stack.');
  });

  test('error flow: a missing table, denied access and throttling are sentences with their exit codes', async () => {
    const missing = await deployment.run(['revoke', 'sub', 's1', '--reason', 'r', '--table', 'nope']);
    deployment.dynamoDb.deniedActions.add('PutItem');
    const denied = await deployment.run(['revoke', 'sub', 's1', '--reason', 'r']);
    deployment.dynamoDb.deniedActions.clear();
    deployment.dynamoDb.failNext('PutItem', { status: 400, type: 'ProvisionedThroughputExceededException', message: 'Rate exceeded' }, 3);
    const throttled = await deployment.run(['revoke', 'sub', 's1', '--reason', 'r']);

    expect(missing).toMatchObject({ code: ExitCode.AwsOther });
    expect(missing.stderr).toContain(
      'secure-api: DynamoDB has no table nope in eu-west-1 (PutItem). Check --table (default: output DenyListTableName) and --region, and that the stack turns revocation on.\n',
    );
    expect(denied).toMatchObject({ code: ExitCode.AwsAuth });
    expect(denied.stderr).toContain(
      `secure-api: Your AWS identity may not call dynamodb:PutItem on table ${DENY_LIST_TABLE} in eu-west-1. Grant that action in IAM, or use a --profile whose role has it.\n`,
    );
    expect(throttled).toMatchObject({ code: ExitCode.AwsOther });
    expect(throttled.stderr).toContain('secure-api: DynamoDB is throttling PutItem (ProvisionedThroughputExceededException), even after retries. Wait a minute and retry.\n');
    expect(table().size).toBe(0);
  });
});

describe('secure-api unrevoke', () => {
  test('happy flow: unrevoke removes the entry with DeleteItem and names what it revoked', async () => {
    await deployment.run(['revoke', 'sub', 's1', '--reason', 'stolen laptop']);

    const result = await deployment.run(['unrevoke', 'sub', 's1']);

    expect(result.code).toBe(ExitCode.Ok);
    expect(result.stdout).toBe(
      `Removed sub "s1" from the deny list ${DENY_LIST_TABLE} (it was revoked for "stolen laptop"). The authorizer accepts those tokens again once it renews its deny-list snapshot.\n`,
    );
    expect(table().size).toBe(0);
    expect(deployment.dynamoDb.requests.at(-1)!.body).toEqual({ TableName: DENY_LIST_TABLE, Key: { pk: { S: 'sub#s1' } }, ReturnValues: 'ALL_OLD' });
  });

  test('happy flow: unrevoke before removes the entry of every token, or of one client', async () => {
    await deployment.run(['revoke', 'before', 'now', '--reason', 'all']);
    await deployment.run(['revoke', 'before', 'now', '--client', 'c1', '--reason', 'one']);

    await deployment.run(['unrevoke', 'before', '--client', 'c1']);
    expect([...table().keys()]).toEqual(['before#*']);
    await deployment.run(['unrevoke', 'before']);
    expect(table().size).toBe(0);
  });

  test('happy flow: unrevoke of an entry that is not there says nothing changed', async () => {
    const result = await deployment.run(['unrevoke', 'token', 'jti-1']);

    expect(result).toMatchObject({ code: ExitCode.Ok, stdout: `The deny list ${DENY_LIST_TABLE} had no entry for token id (jti) "jti-1"; nothing changed.\n` });
    expect((await deployment.run(['unrevoke', 'before'])).stdout).toBe(`The deny list ${DENY_LIST_TABLE} had no entry for the issue time of every token; nothing changed.\n`);
    expect((await deployment.run(['unrevoke', 'before', '--client', 'c1'])).stdout).toBe(`The deny list ${DENY_LIST_TABLE} had no entry for the issue time of client "c1"; nothing changed.\n`);
  });
});

describe('secure-api revocations list', () => {
  test('happy flow: every page of the Scan, oldest first, as a table and as JSON, with hostile values escaped', async () => {
    deployment.clock = Date.parse('2026-03-01T12:00:00Z');
    await deployment.run(['revoke', 'sub', 's1', '--reason', 'first', '--by', 'ops']);
    deployment.clock += 1000;
    await deployment.run(['revoke', 'client', 'c1', '--reason', 'second', '--by', 'ops', '--expires-in', '1h']);
    deployment.clock += 1000;
    await deployment.run(['revoke', 'before', 'now', '--reason', 'third\u001b[2J', '--by', 'ops']);
    deployment.clock += 2 * 3_600_000;

    const text = await deployment.run(['revocations', 'list']);
    const json = await deployment.run(['revocations', 'list', '--format', 'json']);

    expect(deployment.dynamoDb.actions().filter((action) => action === 'Scan')).toHaveLength(4);
    expect(text.code).toBe(ExitCode.Ok);
    expect(text.stdout.split('\n')).toEqual([
      'KIND    VALUE  ISSUED BEFORE             CREATED                   BY     EXPIRES                             REASON',
      'sub     "s1"   -                         2026-03-01T12:00:00.000Z  "ops"  never                               "first"',
      'client  "c1"   -                         2026-03-01T12:00:01.000Z  "ops"  2026-03-01T13:00:01.000Z (expired)  "second"',
      'before  "*"    2026-03-01T12:00:02.000Z  2026-03-01T12:00:02.000Z  "ops"  never                               "third\\u001b[2J"',
      '',
    ]);
    expect(JSON.parse(json.stdout)).toEqual([
      { kind: 'sub', value: 's1', reason: 'first', createdAt: '2026-03-01T12:00:00.000Z', createdBy: 'ops', expiresAt: null, inForce: true },
      { kind: 'client', value: 'c1', reason: 'second', createdAt: '2026-03-01T12:00:01.000Z', createdBy: 'ops', expiresAt: '2026-03-01T13:00:01.000Z', inForce: false },
      {
        kind: 'before',
        value: '*',
        issuedBefore: '2026-03-01T12:00:02.000Z',
        reason: 'third\u001b[2J',
        createdAt: '2026-03-01T12:00:02.000Z',
        createdBy: 'ops',
        expiresAt: null,
        inForce: true,
      },
    ]);
  });

  test('hostile values: items written by other tools, with times beyond any date or a before# item without a number issuedBefore, are listed, compared and removed as the authorizer reads them', async () => {
    deployment.clock = Date.parse('2026-03-01T12:00:00Z');
    const created = { N: String(Date.parse('2026-03-01T11:00:00Z') / 1000) };
    table().set('before#*', { pk: { S: 'before#*' }, issuedBefore: { S: 'soon' }, reason: { S: 'by hand' }, createdAt: created, createdBy: { S: 'ops' } });
    table().set('before#c1', { pk: { S: 'before#c1' }, issuedBefore: { N: '1e20' }, reason: { S: 'by hand' }, createdAt: created, createdBy: { S: 'ops' } });
    table().set('sub#big', { pk: { S: 'sub#big' }, reason: { S: 'by hand' }, createdAt: { N: '-1e300' }, createdBy: { S: 'ops' }, expiresAt: { N: '1e17' } });

    const text = await deployment.run(['revocations', 'list']);
    const json = await deployment.run(['revocations', 'list', '--format', 'json']);
    const every = await deployment.run(['revoke', 'before', 'now', '--reason', 'r']);
    const one = await deployment.run(['revoke', 'before', 'now', '--client', 'c1', '--reason', 'r']);
    const removed = await deployment.run(['unrevoke', 'sub', 'big']);

    expect(text.code).toBe(ExitCode.Ok);
    expect(text.stdout.split('\n')).toEqual([
      'KIND    VALUE  ISSUED BEFORE                       CREATED                   BY     EXPIRES                          REASON',
      'sub     "big"  -                                   epoch second -1e+300      "ops"  epoch second 100000000000000000  "by hand"',
      'before  "*"    any (not a number)                  2026-03-01T11:00:00.000Z  "ops"  never                            "by hand"',
      'before  "c1"   epoch second 100000000000000000000  2026-03-01T11:00:00.000Z  "ops"  never                            "by hand"',
      '',
    ]);
    expect(JSON.parse(json.stdout).map((entry: Record<string, unknown>) => [entry.issuedBefore, entry.createdAt, entry.expiresAt])).toEqual([
      [undefined, 'epoch second -1e+300', 'epoch second 100000000000000000'],
      ['any (not a number)', '2026-03-01T11:00:00.000Z', null],
      ['epoch second 100000000000000000000', '2026-03-01T11:00:00.000Z', null],
    ]);
    expect(every).toMatchObject({ code: ExitCode.Ok });
    expect(every.stdout).toContain(
      `The deny list ${DENY_LIST_TABLE} already holds an entry that covers at least as much: every token, whatever its issue time (its issuedBefore is not a number), never expires,`,
    );
    expect(one).toMatchObject({ code: ExitCode.Ok });
    expect(one.stdout).toContain('already holds an entry that covers at least as much: every token of client "c1" issued before epoch second 100000000000000000000, never expires,');
    expect(removed).toMatchObject({ code: ExitCode.Ok, stdout: expect.stringContaining(`Removed sub "big" from the deny list ${DENY_LIST_TABLE}`) });
    expect(table().has('sub#big')).toBe(false);
  });

  test('happy flow: an empty deny list says so', async () => {
    expect((await deployment.run(['revocations', 'list'])).stdout).toBe('The deny list is empty.\n');
  });
});

describe('the CLI reads deny-list numbers as the authorizer does', () => {
  test('text that is not a decimal number is no time: it never ends an entry, and a before# entry covers every token', () => {
    for (const text of ['', ' ', '0x0', ' 5', 'Infinity']) {
      expect([text, parseRevocation({ pk: { S: 'sub#a' }, expiresAt: { N: text }, createdAt: { N: '5' } })?.expiresAt]).toEqual([text, undefined]);
      expect([text, parseRevocation({ pk: { S: 'before#*' }, issuedBefore: { N: text } })?.issuedBefore]).toEqual([text, undefined]);
    }
    expect(parseRevocation({ pk: { S: 'sub#a' }, expiresAt: { N: '1.8E9' } })?.expiresAt).toBe(1.8e9);
  });
});
