/** `secure-api users ...`: manages the people who sign in to the API's user pool. */
import { Command } from 'commander';
import type { CognitoTarget } from '../cognito';
import type { CliContext } from '../context';
import { formatSeconds } from '../durations';
import { usageError } from '../errors';
import { withProgress } from '../io';
import {
  addUserToGroup,
  createUser,
  deleteUser,
  disableUser,
  enableUser,
  getUserSub,
  readPassword,
  removeUserFromGroup,
  setUserPassword,
  signOutUser,
} from '../users';
import { AwsFlags, addAwsOptions } from './options';
import { ACCESS_TOKEN_MAX_LIFETIME_SECONDS, RevokeFlags, addDenyListOptions, delayNote, denyListTarget, revokeEntry } from './revoke';
import { announce, connectTo, loadOutputs } from './settings';

/** Adds the `users` command and its subcommands to `program`. */
export function addUsersCommand(program: Command, context: CliContext): void {
  const { stdout, stderr } = context.streams;
  const users = program
    .command('users')
    .description("Manage the people who sign in to the API's user pool (web client).")
    .addHelpText('after', ['', 'Examples:', '  $ secure-api users create alice --email alice@example.com', '  $ secure-api users add-to-group alice admin'].join('\n'));
  const userCommand = (nameAndArgs: string, description: string): Command => addAwsOptions(users.command(nameAndArgs).description(description));
  const runUserAction = async (flags: AwsFlags, progressText: string, action: (target: CognitoTarget) => Promise<string>): Promise<void> => {
    const trail = loadOutputs(context, flags);
    const { connect } = connectTo(context, flags, trail);
    announce(context, flags, trail);
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
      const trail = loadOutputs(context, flags);
      const { connect } = connectTo(context, flags, trail);
      announce(context, flags, trail);
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

  addDenyListOptions(users.command('delete <username>'))
    .description(
      'Delete a user (AdminUserGlobalSignOut, then AdminDeleteUser). Access tokens already issued stay valid until they expire unless --revoke puts their sub on the deny list.',
    )
    .option('--revoke', "also put the user's sub on the deny list (read with AdminGetUser first), so their access tokens are refused too")
    .option('--reason <text>', 'with --revoke: why, stored in the deny-list entry', 'user deleted')
    .option('--by <name>', 'with --revoke: who, stored in the entry (default: your operating-system user name)')
    .option(
      '--expires-in <duration>',
      `with --revoke: remove the entry after this long (default: ${formatSeconds(ACCESS_TOKEN_MAX_LIFETIME_SECONDS)}, the longest access-token lifetime, as the sign-out revoked the refresh tokens)`,
    )
    .addHelpText(
      'after',
      [
        '',
        'Log lines about the user stay in CloudWatch Logs until each log group\'s retention ends (CloudWatch cannot delete single',
        'events); find them with `secure-api subject-records --sub <sub>` before deleting the user, as the sub is gone afterwards.',
      ].join('\n'),
    )
    .action(async (username: string, flags: RevokeFlags & { revoke?: boolean }, command: Command) => {
      if (!flags.revoke) {
        // The user cannot be brought back: an option of the revocation without --revoke is a forgotten --revoke.
        const stray = ['reason', 'by', 'expiresIn'].find((name) => command.getOptionValueSource(name) === 'cli');
        if (stray !== undefined) {
          const flag = `--${stray.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`;
          throw usageError(
            'ERR_REVOKE_OPTION_WITHOUT_REVOKE',
            `${flag} only applies with --revoke, which was not passed; nothing was changed. Add --revoke to also put the user's sub on the deny list, or leave ${flag} out.`,
          );
        }
      }
      const trail = loadOutputs(context, flags);
      const { connect, region } = connectTo(context, flags, trail);
      const table = flags.revoke ? denyListTarget(context, flags, trail, region) : undefined;
      announce(context, flags, trail);
      const lines = await withProgress(stderr, `Deleting ${username}`, async () => {
        if (table === undefined) {
          return [await deleteUser(connect(), username)];
        }
        // The sub goes on the deny list before the user goes: afterwards Cognito can no longer say what it was.
        const sub = await getUserSub(connect(), username);
        const revoked = await revokeEntry(context, table, 'sub', sub, flags, ACCESS_TOKEN_MAX_LIFETIME_SECONDS);
        return [revoked, await deleteUser(connect(), username, sub), delayNote(context, flags, trail)];
      });
      stdout.write(`${lines.join('\n')}\n`);
    });
}
