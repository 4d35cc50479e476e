import { ExitCode } from '../../../lib/cli/errors';
import { FakeTerminal, TestDeployment, startTestDeployment, stdinWith } from './fixtures/deployment';

let deployment: TestDeployment;

beforeEach(async () => {
  deployment = await startTestDeployment();
});

afterEach(async () => {
  await deployment.close();
});

const PASSWORD = 'correct-horse-battery-staple-7';

describe('secure-api users', () => {
  test('happy flow: create sends an invitation by email with a signed AdminCreateUser', async () => {
    const result = await deployment.run(['users', 'create', 'alice', '--email', 'alice@example.com']);

    expect(result).toEqual({
      code: ExitCode.Ok,
      stdout: `Created user alice (FORCE_CHANGE_PASSWORD) in user pool ${deployment.cognito.userPoolId}. Cognito emailed an invitation with a temporary password to alice@example.com.\n`,
      stderr: deployment.outputsNote('UserPoolId'),
    });
    const request = deployment.cognito.requests[0]!;
    expect(request).toMatchObject({ action: 'AdminCreateUser', signatureValid: true });
    expect(request.body).toEqual({
      UserPoolId: deployment.cognito.userPoolId,
      Username: 'alice',
      UserAttributes: [{ Name: 'email', Value: 'alice@example.com' }],
      DesiredDeliveryMediums: ['EMAIL'],
    });
  });

  test('happy flow: create with the invitation suppressed and the email verified', async () => {
    const result = await deployment.run(['users', 'create', 'bob', '--email', 'bob@example.com', '--suppress-invitation', '--email-verified']);

    expect(result.code).toBe(ExitCode.Ok);
    expect(result.stdout).toContain('No invitation was sent: set a password with `secure-api users set-password bob`.');
    expect(deployment.cognito.requests[0]!.body).toEqual({
      UserPoolId: deployment.cognito.userPoolId,
      Username: 'bob',
      UserAttributes: [
        { Name: 'email', Value: 'bob@example.com' },
        { Name: 'email_verified', Value: 'true' },
      ],
      MessageAction: 'SUPPRESS',
    });
    expect(deployment.cognito.users.get('bob')).toMatchObject({ messageAction: 'SUPPRESS', attributes: { email_verified: 'true' } });
  });

  test('happy flow: set-password reads a permanent password from stdin, dropping one trailing newline', async () => {
    await deployment.run(['users', 'create', 'alice', '--email', 'alice@example.com']);

    const result = await deployment.run(['users', 'set-password', 'alice', '--password-stdin'], { stdin: stdinWith(`${PASSWORD}\n`) });

    expect(result).toEqual({ code: ExitCode.Ok, stdout: 'Set a permanent password for user alice.\n', stderr: deployment.outputsNote('UserPoolId') });
    expect(deployment.cognito.requests.at(-1)!.body).toEqual({
      UserPoolId: deployment.cognito.userPoolId,
      Username: 'alice',
      Password: PASSWORD,
      Permanent: true,
    });
    expect(deployment.cognito.users.get('alice')).toMatchObject({ status: 'CONFIRMED', password: PASSWORD });
  });

  test('happy flow: set-password --temporary keeps the user in FORCE_CHANGE_PASSWORD', async () => {
    await deployment.run(['users', 'create', 'alice', '--email', 'alice@example.com']);

    const result = await deployment.run(['users', 'set-password', 'alice', '--password-stdin', '--temporary'], { stdin: stdinWith(PASSWORD) });

    expect(result.stdout).toBe('Set a temporary password for user alice: they must choose a new one at their next sign-in.\n');
    expect(deployment.cognito.users.get('alice')!.status).toBe('FORCE_CHANGE_PASSWORD');
  });

  test('happy flow: set-password prompts twice on a terminal without echoing, and honours backspace', async () => {
    await deployment.run(['users', 'create', 'alice', '--email', 'alice@example.com']);
    const terminal = new FakeTerminal();
    // Keystrokes as a terminal delivers them: one chunk per line; a backspace corrects a typo.
    terminal.write(`${PASSWORD}x\u007f\r`);
    terminal.write(`${PASSWORD}\r`);

    const result = await deployment.run(['users', 'set-password', 'alice'], { stdin: terminal });

    expect(result.code).toBe(ExitCode.Ok);
    expect(result.stderr).toBe(`${deployment.outputsNote('UserPoolId')}New password for alice: \nRepeat the password: \n`);
    expect(result.stderr + result.stdout).not.toContain(PASSWORD);
    expect(terminal.rawModes).toEqual([true, false, true, false]);
    expect(deployment.cognito.users.get('alice')!.password).toBe(PASSWORD);
  });

  test('error flow: two different passwords at the prompt change nothing (exit 2)', async () => {
    await deployment.run(['users', 'create', 'alice', '--email', 'alice@example.com']);
    const terminal = new FakeTerminal();
    terminal.write(`${PASSWORD}\r`);
    terminal.write('something-else-entirely\r');

    const result = await deployment.run(['users', 'set-password', 'alice'], { stdin: terminal });

    expect(result.code).toBe(ExitCode.Usage);
    expect(result.stderr).toContain('secure-api: The two passwords differ. Run the command again.\n');
    expect(deployment.cognito.requests.map((request) => request.action)).toEqual(['AdminCreateUser']);
  });

  test('error flow: set-password without a terminal and without --password-stdin refuses to guess (exit 2)', async () => {
    const result = await deployment.run(['users', 'set-password', 'alice'], { stdin: stdinWith(PASSWORD) });

    expect(result.code).toBe(ExitCode.Usage);
    expect(result.stderr).toBe(
      deployment.outputsNote('UserPoolId') +
      'secure-api: Standard input is not a terminal, so no password prompt is possible. Pipe the password in with --password-stdin.\n',
    );
    expect(deployment.cognito.requests).toEqual([]);
  });

  test('error flow: a password the policy rejects is InvalidPasswordException as a sentence (exit 5)', async () => {
    await deployment.run(['users', 'create', 'alice', '--email', 'alice@example.com']);

    const result = await deployment.run(['users', 'set-password', 'alice', '--password-stdin'], { stdin: stdinWith('short') });

    expect(result.code).toBe(ExitCode.AwsOther);
    expect(result.stderr).toBe(
      deployment.outputsNote('UserPoolId') +
      "secure-api: Cognito rejected the password: Password does not conform to policy: Password not long enough. Choose one that meets the pool's password policy.\n",
    );
  });

  test('error flow: creating an existing user is UsernameExistsException (exit 5)', async () => {
    await deployment.run(['users', 'create', 'alice', '--email', 'alice@example.com']);

    const result = await deployment.run(['users', 'create', 'alice', '--email', 'alice@example.com']);

    expect(result.code).toBe(ExitCode.AwsOther);
    expect(result.stderr).toBe(
      deployment.outputsNote('UserPoolId') +
      `secure-api: User alice already exists in user pool ${deployment.cognito.userPoolId}. Choose another user name, or manage the existing user.\n`,
    );
  });

  test('error flow: an unknown user is UserNotFoundException (exit 5) for every command that names one', async () => {
    for (const args of [['disable', 'ghost'], ['enable', 'ghost'], ['sign-out', 'ghost'], ['add-to-group', 'ghost', 'admin'], ['remove-from-group', 'ghost', 'admin']]) {
      const result = await deployment.run(['users', ...args]);

      expect(result.code).toBe(ExitCode.AwsOther);
      expect(result.stderr).toBe(
        deployment.outputsNote('UserPoolId') +
        `secure-api: User ghost does not exist in user pool ${deployment.cognito.userPoolId}. Check the user name, or create the user with \`secure-api users create\`.\n`,
      );
    }
  });

  test('happy flow: group membership, disable, enable and global sign-out', async () => {
    await deployment.run(['users', 'create', 'alice', '--email', 'alice@example.com']);

    const added = await deployment.run(['users', 'add-to-group', 'alice', 'admin']);
    expect(added.stdout).toBe('Added user alice to group admin. Tokens issued from now on carry it in cognito:groups; tokens issued before do not.\n');
    expect([...deployment.cognito.users.get('alice')!.groups]).toEqual(['admin']);

    const removed = await deployment.run(['users', 'remove-from-group', 'alice', 'admin']);
    expect(removed.stdout).toContain('Removed user alice from group admin.');
    expect(deployment.cognito.users.get('alice')!.groups.size).toBe(0);

    const disabled = await deployment.run(['users', 'disable', 'alice']);
    expect(disabled.stdout).toContain('Disabled user alice: they can no longer sign in or refresh tokens.');
    expect(deployment.cognito.users.get('alice')!.enabled).toBe(false);

    const enabled = await deployment.run(['users', 'enable', 'alice']);
    expect(enabled.stdout).toBe('Enabled user alice: they can sign in again.\n');
    expect(deployment.cognito.users.get('alice')!.enabled).toBe(true);

    const signedOut = await deployment.run(['users', 'sign-out', 'alice']);
    expect(signedOut.stdout).toBe(
      'Signed out user alice everywhere: their refresh tokens are revoked. Access and ID tokens already issued stay valid at the API until they expire (the access token lifetime), so keep that lifetime short.\n',
    );
    expect(deployment.cognito.users.get('alice')!.globalSignOuts).toBe(1);

    expect(deployment.cognito.requests.map((request) => [request.action, request.signatureValid])).toEqual([
      ['AdminCreateUser', true],
      ['AdminAddUserToGroup', true],
      ['AdminRemoveUserFromGroup', true],
      ['AdminDisableUser', true],
      ['AdminEnableUser', true],
      ['AdminUserGlobalSignOut', true],
    ]);
  });

  test('error flow: an unknown group is ResourceNotFoundException (exit 5)', async () => {
    await deployment.run(['users', 'create', 'alice', '--email', 'alice@example.com']);

    const result = await deployment.run(['users', 'add-to-group', 'alice', 'auditors']);

    expect(result.code).toBe(ExitCode.AwsOther);
    expect(result.stderr).toBe(
      deployment.outputsNote('UserPoolId') +
      'secure-api: Cognito found no such resource in eu-west-1: Group not found. Check the user pool id, client id or group name, and that the stack is deployed there.\n',
    );
  });

  test('error flow: NotAuthorizedException is exit 4 with the service message', async () => {
    deployment.cognito.failNext('AdminDisableUser', { status: 400, type: 'NotAuthorizedException', message: 'Access to the pool is not authorized.' });

    const result = await deployment.run(['users', 'disable', 'alice']);

    expect(result.code).toBe(ExitCode.AwsAuth);
    expect(result.stderr).toBe(
      deployment.outputsNote('UserPoolId') +
      `secure-api: Cognito refused AdminDisableUser on user pool ${deployment.cognito.userPoolId}: Access to the pool is not authorized. Check that your credentials belong to the account that owns the pool.\n`,
    );
  });

  test('error flow: an unknown user pool id is ResourceNotFoundException (exit 5)', async () => {
    const result = await deployment.run(['users', 'disable', 'alice', '--user-pool-id', 'eu-west-1_Elsewhere9']);

    expect(result.code).toBe(ExitCode.AwsOther);
    expect(result.stderr).toContain('Cognito found no such resource in eu-west-1: User pool eu-west-1_Elsewhere9 does not exist.');
  });

  test('throws a usage error (exit 2) for a malformed email, before any call', async () => {
    const result = await deployment.run(['users', 'create', 'alice', '--email', 'not-an-email']);

    expect(result.code).toBe(ExitCode.Usage);
    expect(result.stderr).toBe(deployment.outputsNote('UserPoolId') + 'secure-api: --email must be an email address (received: "not-an-email").\n');
    expect(deployment.cognito.requests).toEqual([]);
  });

  test('throws a usage error (exit 2) when create lacks --email', async () => {
    const result = await deployment.run(['users', 'create', 'alice']);

    expect(result.code).toBe(ExitCode.Usage);
    expect(result.stderr).toContain("error: required option '--email <address>' not specified");
  });

  test('throws a configuration error (exit 3) for a user pool id without a region', async () => {
    const result = await deployment.run(['users', 'disable', 'alice', '--user-pool-id', 'AbC123']);

    expect(result.code).toBe(ExitCode.Config);
    expect(result.stderr).toBe('secure-api: "AbC123" is not a Cognito user pool id (expected <region>_<id>, e.g. eu-west-1_AbC123).\n');
  });
});
