import { ExitCode } from '../../../lib/cli/errors';
import { DENY_LIST_TABLE, TestDeployment, startTestDeployment } from './fixtures/deployment';

let deployment: TestDeployment;

beforeEach(async () => {
  deployment = await startTestDeployment();
  await deployment.run(['users', 'create', 'alice', '--email', 'alice@example.com']);
  deployment.cognito.requests.length = 0;
});

afterEach(async () => {
  await deployment.close();
});

describe('secure-api users delete', () => {
  test('happy flow: signs the user out everywhere, deletes them, and says what stays', async () => {
    const result = await deployment.run(['users', 'delete', 'alice']);

    expect(result).toEqual({
      code: ExitCode.Ok,
      stdout:
        `Deleted user alice from user pool ${deployment.cognito.userPoolId}, after signing them out everywhere (refresh tokens revoked). ` +
        "Access and ID tokens already issued stay valid at the API until they expire, because it verifies them locally; pass --revoke to also put the user's sub on the deny list. " +
        "Log lines about them stay in CloudWatch Logs until each log group's retention ends: CloudWatch cannot delete single events (find them with `secure-api subject-records`).\n",
      stderr: deployment.outputsNote('UserPoolId'),
    });
    expect(deployment.cognito.requests.map((request) => [request.action, request.signatureValid])).toEqual([
      ['AdminUserGlobalSignOut', true],
      ['AdminDeleteUser', true],
    ]);
    expect(deployment.cognito.users.has('alice')).toBe(false);
    expect(deployment.dynamoDb.requests).toEqual([]);
  });

  test('happy flow: --revoke reads the sub first, puts it on the deny list for a day, then deletes the user', async () => {
    const sub = deployment.cognito.users.get('alice')!.attributes.sub!;

    const result = await deployment.run(['users', 'delete', 'alice', '--revoke', '--by', 'dpo']);

    expect(result.code).toBe(ExitCode.Ok);
    expect(deployment.cognito.requests.map((request) => request.action)).toEqual(['AdminGetUser', 'AdminUserGlobalSignOut', 'AdminDeleteUser']);
    const now = Math.floor(deployment.clock / 1000);
    expect(deployment.dynamoDb.tables.get(DENY_LIST_TABLE)!.get(`sub#${sub}`)).toEqual({
      pk: { S: `sub#${sub}` },
      reason: { S: 'user deleted' },
      createdAt: { N: String(now) },
      createdBy: { S: 'dpo' },
      expiresAt: { N: String(now + 86_400) },
    });
    expect(result.stdout).toContain(`Revoked sub "${sub}" in the deny list ${DENY_LIST_TABLE}`);
    expect(result.stdout).toContain(`Their sub "${sub}" is on the deny list, so the API refuses their access tokens already issued`);
  });

  test('error flow: when the deny list cannot be written, the user is not deleted (exit 4)', async () => {
    deployment.dynamoDb.deniedActions.add('PutItem');

    const result = await deployment.run(['users', 'delete', 'alice', '--revoke']);

    expect(result.code).toBe(ExitCode.AwsAuth);
    expect(result.stderr).toContain(`Your AWS identity may not call dynamodb:PutItem on table ${DENY_LIST_TABLE} in eu-west-1.`);
    expect(deployment.cognito.users.has('alice')).toBe(true);
  });

  test('error flow: --reason, --by or --expires-in without --revoke is refused before the user is deleted, as the operator meant a revocation (exit 2)', async () => {
    for (const flags of [['--reason', 'left the company'], ['--by', 'ops'], ['--expires-in', '30d']]) {
      const result = await deployment.run(['users', 'delete', 'alice', ...flags]);

      expect({ code: result.code, stdout: result.stdout, lastLine: result.stderr.trimEnd().split('\n').pop() }).toEqual({
        code: ExitCode.Usage,
        stdout: '',
        lastLine: `secure-api: ${flags[0]} only applies with --revoke, which was not passed; nothing was changed. Add --revoke to also put the user's sub on the deny list, or leave ${flags[0]} out.`,
      });
    }
    expect(deployment.cognito.requests).toEqual([]);
    expect(deployment.cognito.users.has('alice')).toBe(true);
  });

  test('error flow: an unknown user is a sentence (exit 5), and a denied delete is exit 4', async () => {
    const unknown = await deployment.run(['users', 'delete', 'bob']);
    deployment.cognito.deniedActions.add('AdminDeleteUser');
    const denied = await deployment.run(['users', 'delete', 'alice']);

    expect(unknown.code).toBe(ExitCode.AwsOther);
    expect(unknown.stderr).toContain(`User bob does not exist in user pool ${deployment.cognito.userPoolId}.`);
    expect(denied.code).toBe(ExitCode.AwsAuth);
    expect(denied.stderr).toContain('may not call cognito-idp:AdminDeleteUser');
  });
});
