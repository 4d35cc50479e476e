/**
 * User administration for the people-facing side of the API: create users, set passwords, manage
 * group membership (the admin route's condition), disable them, and sign them out everywhere.
 *
 * Every function returns the sentence to print on success and throws a mapped `CliError` otherwise.
 */
import {
  AdminAddUserToGroupCommand,
  AdminCreateUserCommand,
  AdminDeleteUserCommand,
  AdminDisableUserCommand,
  AdminEnableUserCommand,
  AdminGetUserCommand,
  AdminRemoveUserFromGroupCommand,
  AdminSetUserPasswordCommand,
  AdminUserGlobalSignOutCommand,
  AttributeType,
  DescribeUserPoolClientCommand,
  RevokeTokenCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { AwsCallContext, CognitoTarget, callAws } from './cognito';
import { CliError, ExitCode, usageError } from './errors';
import { CliStreams, quoted, readStdin } from './io';

/** What `users create` needs. */
export interface CreateUserOptions {
  /** The user name. */
  readonly username: string;
  /** The email address, stored as the `email` attribute. */
  readonly email: string;
  /** Marks the email as verified, so the user can reset a forgotten password with it. @default false */
  readonly emailVerified?: boolean;
  /** Creates the user without emailing an invitation (set a password with `set-password`). @default false */
  readonly suppressInvitation?: boolean;
}

/** Creates a user with AdminCreateUser. */
export async function createUser(target: CognitoTarget, options: CreateUserOptions): Promise<string> {
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(options.email)) {
    throw usageError('ERR_BAD_EMAIL', `--email must be an email address (received: ${JSON.stringify(options.email)}).`);
  }
  const attributes: AttributeType[] = [{ Name: 'email', Value: options.email }];
  if (options.emailVerified) {
    attributes.push({ Name: 'email_verified', Value: 'true' });
  }
  const response = await callAws(context(target, 'AdminCreateUser', options.username), () =>
    target.client.send(
      new AdminCreateUserCommand({
        UserPoolId: target.userPoolId,
        Username: options.username,
        UserAttributes: attributes,
        ...(options.suppressInvitation ? { MessageAction: 'SUPPRESS' } : { DesiredDeliveryMediums: ['EMAIL'] }),
      }),
    ),
  );
  const status = response.User?.UserStatus ?? 'unknown status';
  const next = options.suppressInvitation
    ? `No invitation was sent: set a password with \`secure-api users set-password ${options.username}\`.`
    : `Cognito emailed an invitation with a temporary password to ${options.email}.`;
  return `Created user ${options.username} (${status}) in user pool ${target.userPoolId}. ${next}`;
}

/**
 * Sets a user's password with AdminSetUserPassword.
 *
 * @param permanent false makes it temporary: the user must change it at the next sign-in
 */
export async function setUserPassword(target: CognitoTarget, username: string, password: string, permanent: boolean): Promise<string> {
  await callAws(context(target, 'AdminSetUserPassword', username), () =>
    target.client.send(new AdminSetUserPasswordCommand({ UserPoolId: target.userPoolId, Username: username, Password: password, Permanent: permanent })),
  );
  return permanent
    ? `Set a permanent password for user ${username}.`
    : `Set a temporary password for user ${username}: they must choose a new one at their next sign-in.`;
}

/** Adds a user to a group with AdminAddUserToGroup. */
export async function addUserToGroup(target: CognitoTarget, username: string, group: string): Promise<string> {
  await callAws(context(target, 'AdminAddUserToGroup', username), () =>
    target.client.send(new AdminAddUserToGroupCommand({ UserPoolId: target.userPoolId, Username: username, GroupName: group })),
  );
  return `Added user ${username} to group ${group}. Tokens issued from now on carry it in cognito:groups; tokens issued before do not.`;
}

/** Removes a user from a group with AdminRemoveUserFromGroup. */
export async function removeUserFromGroup(target: CognitoTarget, username: string, group: string): Promise<string> {
  await callAws(context(target, 'AdminRemoveUserFromGroup', username), () =>
    target.client.send(new AdminRemoveUserFromGroupCommand({ UserPoolId: target.userPoolId, Username: username, GroupName: group })),
  );
  return (
    `Removed user ${username} from group ${group}. Access tokens issued before still carry it until they expire; ` +
    `run \`secure-api users sign-out ${username}\` so no refresh token can mint new ones.`
  );
}

/** Disables a user with AdminDisableUser. */
export async function disableUser(target: CognitoTarget, username: string): Promise<string> {
  await callAws(context(target, 'AdminDisableUser', username), () =>
    target.client.send(new AdminDisableUserCommand({ UserPoolId: target.userPoolId, Username: username })),
  );
  return (
    `Disabled user ${username}: they can no longer sign in or refresh tokens. ` +
    'Access tokens already issued stay valid at the API until they expire, because it verifies them locally.'
  );
}

/** Enables a disabled user with AdminEnableUser. */
export async function enableUser(target: CognitoTarget, username: string): Promise<string> {
  await callAws(context(target, 'AdminEnableUser', username), () =>
    target.client.send(new AdminEnableUserCommand({ UserPoolId: target.userPoolId, Username: username })),
  );
  return `Enabled user ${username}: they can sign in again.`;
}

/**
 * Signs a user out of every device with AdminUserGlobalSignOut, which revokes their refresh tokens.
 * Access and ID tokens already issued still verify locally until they expire.
 */
export async function signOutUser(target: CognitoTarget, username: string): Promise<string> {
  await callAws(context(target, 'AdminUserGlobalSignOut', username), () =>
    target.client.send(new AdminUserGlobalSignOutCommand({ UserPoolId: target.userPoolId, Username: username })),
  );
  return (
    `Signed out user ${username} everywhere: their refresh tokens are revoked. ` +
    'Access and ID tokens already issued stay valid at the API until they expire (the access token lifetime), so keep that lifetime short.'
  );
}

/**
 * Returns a user's `sub` (AdminGetUser): the subject their tokens carry, which outlives the user in
 * tokens already issued and in the logs.
 *
 * @throws CliError (exit 5) when the user has no `sub` attribute, or the mapped AWS error
 */
export async function getUserSub(target: CognitoTarget, username: string): Promise<string> {
  const response = await callAws(context(target, 'AdminGetUser', username), () =>
    target.client.send(new AdminGetUserCommand({ UserPoolId: target.userPoolId, Username: username })),
  );
  const sub = response.UserAttributes?.find((attribute) => attribute.Name === 'sub')?.Value;
  if (sub === undefined || sub === '') {
    throw new CliError('ERR_USER_HAS_NO_SUB', `Cognito returned no sub for user ${username}; nothing was changed.`, { exitCode: ExitCode.AwsOther });
  }
  return sub;
}

/**
 * Deletes a user: AdminUserGlobalSignOut first (so no refresh token outlives the user, even if the
 * delete fails), then AdminDeleteUser. Returns the sentence to print, which says what stays.
 *
 * @param revokedSub the user's `sub`, when the caller has also put it on the deny list
 */
export async function deleteUser(target: CognitoTarget, username: string, revokedSub?: string): Promise<string> {
  await callAws(context(target, 'AdminUserGlobalSignOut', username), () =>
    target.client.send(new AdminUserGlobalSignOutCommand({ UserPoolId: target.userPoolId, Username: username })),
  );
  await callAws(context(target, 'AdminDeleteUser', username), () =>
    target.client.send(new AdminDeleteUserCommand({ UserPoolId: target.userPoolId, Username: username })),
  );
  const tokens =
    revokedSub === undefined
      ? 'Access and ID tokens already issued stay valid at the API until they expire, because it verifies them locally; ' +
        'pass --revoke to also put the user\'s sub on the deny list.'
      : `Their sub ${quoted(revokedSub)} is on the deny list, so the API refuses their access tokens already issued once the authorizer's cache and deny-list snapshot renew.`;
  return (
    `Deleted user ${username} from user pool ${target.userPoolId}, after signing them out everywhere (refresh tokens revoked). ${tokens} ` +
    'Log lines about them stay in CloudWatch Logs until each log group\'s retention ends: CloudWatch cannot delete single events ' +
    '(find them with `secure-api subject-records`).'
  );
}

/** A refresh token revocation, ready once its app client is known to exist. */
export type RefreshTokenRevoker = (refreshToken: string) => Promise<void>;

/**
 * Prepares to revoke refresh tokens with Cognito's RevokeToken, authenticating as their app client: reads
 * the client (DescribeUserPoolClient) and its secret when it has one, so a wrong client id fails before
 * anything is written. Cognito then refuses to refresh with a revoked token; access tokens it already
 * minted still verify locally until they expire.
 */
export async function refreshTokenRevoker(target: CognitoTarget, clientId: string): Promise<RefreshTokenRevoker> {
  const described = await callAws({ action: 'DescribeUserPoolClient', region: target.region, userPoolId: target.userPoolId, clientId }, () =>
    target.client.send(new DescribeUserPoolClientCommand({ UserPoolId: target.userPoolId, ClientId: clientId })),
  );
  const clientSecret = described.UserPoolClient?.ClientSecret;
  return async (refreshToken) => {
    await callAws({ action: 'RevokeToken', region: target.region, userPoolId: target.userPoolId, clientId }, () =>
      target.client.send(new RevokeTokenCommand({ Token: refreshToken, ClientId: clientId, ...(clientSecret ? { ClientSecret: clientSecret } : {}) })),
    );
  };
}

/** How to read a password. */
export interface ReadPasswordOptions {
  /** `--password-stdin`: read the whole of standard input (one trailing newline is dropped). */
  readonly fromStdin: boolean;
  /** The prompt shown on a terminal. */
  readonly prompt: string;
}

/**
 * Reads a password without it ever being a command-line argument (which shell history and `ps` keep):
 * from standard input with `--password-stdin`, or from a terminal prompt that does not echo and asks
 * twice.
 *
 * @throws CliError (exit 2) when stdin is neither piped with `--password-stdin` nor a terminal, when the
 * password is empty, or when the two entries differ
 */
export async function readPassword(streams: CliStreams, options: ReadPasswordOptions): Promise<string> {
  if (options.fromStdin) {
    const password = (await readStdin(streams)).replace(/\r?\n$/, '');
    if (password === '') {
      throw usageError('ERR_EMPTY_PASSWORD', 'Standard input held no password. Pipe it in, e.g. `secure-api users set-password alice --password-stdin < file`.');
    }
    return password;
  }
  if (streams.stdin.isTTY !== true || typeof streams.stdin.setRawMode !== 'function') {
    throw usageError('ERR_NO_TERMINAL', 'Standard input is not a terminal, so no password prompt is possible. Pipe the password in with --password-stdin.');
  }
  const password = await promptHidden(streams, options.prompt);
  if (password === '') {
    throw usageError('ERR_EMPTY_PASSWORD', 'The password is empty.');
  }
  const repeated = await promptHidden(streams, 'Repeat the password: ');
  if (repeated !== password) {
    throw usageError('ERR_PASSWORD_MISMATCH', 'The two passwords differ. Run the command again.');
  }
  return password;
}

function promptHidden(streams: CliStreams, prompt: string): Promise<string> {
  const { stdin, stderr } = streams;
  return new Promise((resolve, reject) => {
    let value = '';
    const finish = (): void => {
      stdin.removeListener('data', onData);
      stdin.setRawMode!(false);
      stdin.pause();
      stderr.write('\n');
    };
    const onData = (chunk: Buffer | string): void => {
      for (const character of chunk.toString()) {
        if (character === '\r' || character === '\n' || character === '\u0004') {
          finish();
          resolve(value);
          return;
        }
        if (character === '\u0003') {
          finish();
          reject(new CliError('ERR_CANCELLED', 'Cancelled; nothing was changed.', { exitCode: ExitCode.Usage }));
          return;
        }
        value = character === '\u007f' || character === '\b' ? [...value].slice(0, -1).join('') : value + character;
      }
    };
    stderr.write(prompt);
    stdin.setRawMode!(true);
    stdin.on('data', onData);
    stdin.resume();
  });
}

function context(target: CognitoTarget, action: string, username: string): AwsCallContext {
  return { action, region: target.region, userPoolId: target.userPoolId, username };
}
