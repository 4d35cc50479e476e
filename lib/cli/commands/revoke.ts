/**
 * `secure-api revoke`, `unrevoke` and `revocations list`: the deny list the authorizer reads, with
 * Cognito's own revocations (AdminUserGlobalSignOut, RevokeToken) where they apply.
 */
import { userInfo } from 'node:os';
import { Command, Option } from 'commander';
import type { AwsClientSettings } from '../aws-clients';
import type { CliContext } from '../context';
import { formatSeconds, parseDuration, parseInstant } from '../durations';
import { usageError } from '../errors';
import { quoted, readStdin, withProgress } from '../io';
import { OutputKey, SettingTrail } from '../outputs';
import { describeRevocationDelay, readRevocationDelay } from '../revocation-delay';
import {
  DenyListTarget,
  EVERY_CLIENT,
  Revocation,
  RevocationKind,
  deleteRevocation,
  describeRevocation,
  effectiveIssuedBefore,
  formatEpochSeconds,
  listRevocations,
  putRevocation,
} from '../revocations';
import { getUserSub, refreshTokenRevoker, signOutUser } from '../users';
import { AwsFlags, addAwsOptions } from './options';
import { announce, connectTo, loadOutputs, resolveStackRegion } from './settings';

/** Flags of every deny-list command. */
export interface DenyListFlags extends AwsFlags {
  readonly table?: string;
  readonly cdkOut?: string;
}

const DEFAULT_CDK_OUT = 'cdk.out';

/** Flags of `revoke`. */
export interface RevokeFlags extends DenyListFlags {
  readonly reason: string;
  readonly expiresIn?: string;
  readonly by?: string;
}

/**
 * Cognito's longest access-token lifetime, one day: how long a `revoke token` entry (and the sub entry of
 * `users delete --revoke`) lasts unless `--expires-in` says otherwise, so every access token it covers
 * has expired when the entry goes, and the table does not grow without end.
 */
export const ACCESS_TOKEN_MAX_LIFETIME_SECONDS = 86_400;

/** The longest `--reason` and `--by`, in UTF-8 bytes. */
const MAX_AUDIT_TEXT_BYTES = 1024;

/** The most standard input `--refresh-token-stdin` reads: several times a Cognito refresh token (about 2 KB). */
const MAX_REFRESH_TOKEN_BYTES = 16 * 1024;

/** What every revoke prints last: the bound on the delay before the authorizer refuses the tokens. */
export function delayNote(context: CliContext, flags: DenyListFlags, trail: SettingTrail): string {
  return describeRevocationDelay(readRevocationDelay(context.cwd, flags.cdkOut ?? DEFAULT_CDK_OUT, trail.outputs?.stackName ?? flags.stack));
}

/** Adds `revoke`, `unrevoke` and `revocations` to `program`. */
export function addRevokeCommands(program: Command, context: CliContext): void {
  const { stdout, stderr } = context.streams;

  const revoke = program
    .command('revoke')
    .description("Revoke tokens before they expire: put a sub, a client, a token id or an issue time on the API's deny list.")
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  $ secure-api revoke sub 0f1e2d3c-... --username alice --reason "stolen laptop"',
        '  $ secure-api revoke client 1abc... --reason "leaked client secret"',
        '  $ secure-api revoke token <origin_jti> --refresh-token-stdin --reason "session hijack" < refresh-token.txt',
        '  $ secure-api revoke before now --reason "signing key rotated after an incident"',
        '',
        'The delay until the authorizer refuses the tokens is at most its results-cache TTL plus the deny list\'s refresh',
        'interval plus one read of the table; with cdk.out at hand (--cdk-out), revoke prints this stack\'s numbers.',
        'A second revoke never narrows an entry already there (earlier time, shorter expiry): unrevoke it first.',
      ].join('\n'),
    );
  const revokeCommand = (nameAndArgs: string, description: string): Command =>
    addDenyListOptions(revoke.command(nameAndArgs).description(description))
      .requiredOption('--reason <text>', 'why, for the audit trail (stored in the entry)')
      .option('--by <name>', 'who revokes, stored in the entry (default: your operating-system user name)');

  revokeCommand('sub <sub>', "Refuse every token of a subject (the token's sub).")
    .option('--expires-in <duration>', 'remove the entry after this long, e.g. 30d (default: never)')
    .option('--username <name>', 'also sign the user out everywhere in the user pool (AdminUserGlobalSignOut: revokes their refresh tokens); their sub must be <sub>')
    .action(async (sub: string, flags: RevokeFlags & { username?: string }) => {
      const trail = loadOutputs(context, flags);
      const cognito = flags.username === undefined ? undefined : connectTo(context, flags, trail);
      const target = denyListTarget(context, flags, trail, cognito?.region);
      announce(context, flags, trail);
      if (cognito !== undefined) {
        // Before anything changes: a user name of another subject would sign out the wrong person.
        const actual = await withProgress(stderr, `Reading user ${flags.username}`, () => getUserSub(cognito.connect(), flags.username!));
        if (actual !== sub) {
          throw usageError('ERR_SUB_MISMATCH', `User ${flags.username} has sub ${quoted(actual)}, not ${quoted(sub)}; nothing was changed. Check both values.`);
        }
      }
      stdout.write(`${await withProgress(stderr, `Revoking sub ${quoted(sub)}`, () => revokeEntry(context, target, 'sub', sub, flags))}\n`);
      if (cognito !== undefined) {
        stdout.write(`${await withProgress(stderr, `Signing out ${flags.username}`, () => signOutUser(cognito.connect(), flags.username!))}\n`);
      }
      stdout.write(`${delayNote(context, flags, trail)}\n`);
    });

  revokeCommand('client <client-id>', "Refuse every token of an app client (the token's client id).")
    .option('--expires-in <duration>', 'remove the entry after this long, e.g. 30d (default: never)')
    .action(async (clientId: string, flags: RevokeFlags) => {
      const trail = loadOutputs(context, flags);
      const target = denyListTarget(context, flags, trail);
      announce(context, flags, trail);
      const line = await withProgress(stderr, `Revoking client ${quoted(clientId)}`, () => revokeEntry(context, target, 'client', clientId, flags));
      stdout.write([line, delayNote(context, flags, trail), ''].join('\n'));
    });

  revokeCommand('token <jti>', "Refuse one token: its jti, or the origin_jti that every access token of one sign-in shares.")
    .option('--expires-in <duration>', `remove the entry after this long (default: ${formatSeconds(ACCESS_TOKEN_MAX_LIFETIME_SECONDS)}, the longest access-token lifetime Cognito allows)`)
    .option('--refresh-token-stdin', "also revoke the sign-in's refresh token with Cognito's RevokeToken, read from standard input")
    .option('--client-id <id>', 'the app client that issued the refresh token (default: output WebClientId)')
    .action(async (jti: string, flags: RevokeFlags & { refreshTokenStdin?: boolean; clientId?: string }) => {
      const trail = loadOutputs(context, flags);
      const cognito = flags.refreshTokenStdin ? connectTo(context, flags, trail) : undefined;
      const clientId = cognito === undefined ? undefined : trail.require({ value: flags.clientId, flag: '--client-id', outputKey: OutputKey.WebClientId });
      const target = denyListTarget(context, flags, trail, cognito?.region);
      announce(context, flags, trail);
      const refreshToken = flags.refreshTokenStdin ? await readRefreshToken(context) : undefined;
      const revokeRefreshToken =
        refreshToken === undefined ? undefined : await withProgress(stderr, `Reading app client ${clientId}`, () => refreshTokenRevoker(cognito!.connect(), clientId!));
      // The deny-list entry first: it stops the access tokens, and is printed even if Cognito then fails.
      const entry = await withProgress(stderr, `Revoking token ${quoted(jti)}`, () =>
        revokeEntry(context, target, 'token', jti, flags, ACCESS_TOKEN_MAX_LIFETIME_SECONDS),
      );
      stdout.write(`${entry}\n`);
      if (revokeRefreshToken !== undefined) {
        await withProgress(stderr, 'Revoking the refresh token', () => revokeRefreshToken(refreshToken!));
        stdout.write(
          `Revoked the refresh token with Cognito (RevokeToken, client ${clientId}): it can mint no more access tokens. ` +
            'Access tokens it minted before still verify at the API until they expire, unless the deny list covers their jti or origin_jti.\n',
        );
      }
      stdout.write(`${delayNote(context, flags, trail)}\n`);
    });

  revokeCommand('before <time>', 'Refuse every token issued before a time (ISO 8601 with a zone, or `now`), of every client or of one.')
    .option('--expires-in <duration>', 'remove the entry after this long, e.g. 1d (default: never)')
    .option('--client <id>', 'only the tokens of this app client (default: every token)')
    .action(async (time: string, flags: RevokeFlags & { client?: string }) => {
      const nowMs = context.now();
      const instant = parseInstant(time, 'The time', nowMs);
      // A time ahead of now would also refuse tokens issued after this command, until that time.
      if (instant > nowMs + 60_000) {
        throw usageError('ERR_TIME_IN_FUTURE', `The time ${time} is in the future: it would also refuse tokens issued from now until then. Pass \`now\` or a past time.`);
      }
      if (flags.client === EVERY_CLIENT) {
        throw usageError('ERR_BAD_CLIENT_ID', 'A client id cannot be `*`. To revoke every token, leave --client out.');
      }
      const trail = loadOutputs(context, flags);
      const target = denyListTarget(context, flags, trail);
      announce(context, flags, trail);
      // Rounded up: a token issued within the same second as the time is revoked too.
      const issuedBefore = Math.ceil(instant / 1000);
      const line = await withProgress(stderr, 'Revoking tokens by issue time', () =>
        revokeEntry(context, target, 'before', flags.client ?? EVERY_CLIENT, flags, undefined, issuedBefore),
      );
      stdout.write([line, delayNote(context, flags, trail), ''].join('\n'));
    });

  const unrevoke = program
    .command('unrevoke')
    .description('Remove an entry from the deny list (DeleteItem): tokens it covered are accepted again once the authorizer renews its snapshot.');
  const unrevokeCommand = (nameAndArgs: string, description: string): Command =>
    addDenyListOptions(unrevoke.command(nameAndArgs).description(description));
  const runUnrevoke = async (kind: RevocationKind, value: string, flags: DenyListFlags): Promise<void> => {
    const trail = loadOutputs(context, flags);
    const target = denyListTarget(context, flags, trail);
    announce(context, flags, trail);
    const removed = await withProgress(stderr, 'Removing the entry', () => deleteRevocation(target, kind, value));
    stdout.write(
      removed === undefined
        ? `The deny list ${target.tableName} had no entry for ${kind === 'before' ? describeBeforeKey(value) : describeRevocation({ kind, value })}; nothing changed.\n`
        : `Removed ${describeRevocation(removed)} from the deny list ${target.tableName} (it was revoked for ${quoted(removed.reason)}). ` +
            'The authorizer accepts those tokens again once it renews its deny-list snapshot.\n',
    );
  };
  unrevokeCommand('sub <sub>', 'Accept the tokens of a subject again.').action((sub: string, flags: DenyListFlags) => runUnrevoke('sub', sub, flags));
  unrevokeCommand('client <client-id>', 'Accept the tokens of an app client again.').action((clientId: string, flags: DenyListFlags) =>
    runUnrevoke('client', clientId, flags),
  );
  unrevokeCommand('token <jti>', 'Accept a token (jti or origin_jti) again.').action((jti: string, flags: DenyListFlags) => runUnrevoke('token', jti, flags));
  unrevokeCommand('before', 'Remove the issue-time entry of every client, or of one with --client.')
    .option('--client <id>', 'the entry of this app client (default: the one of every token)')
    .action((flags: DenyListFlags & { client?: string }) => {
      if (flags.client === EVERY_CLIENT) {
        throw usageError('ERR_BAD_CLIENT_ID', 'A client id cannot be `*`. To remove the entry of every token, leave --client out.');
      }
      return runUnrevoke('before', flags.client ?? EVERY_CLIENT, flags);
    });

  const revocations = program.command('revocations').description('Read the deny list.');
  addDenyListOptions(revocations.command('list').description('List every entry of the deny list (Scan), oldest first.'))
    .addOption(new Option('--format <format>', 'a table, or JSON').choices(['table', 'json']).default('table'))
    .action(async (flags: DenyListFlags & { format: 'table' | 'json' }) => {
      const trail = loadOutputs(context, flags);
      const target = denyListTarget(context, flags, trail);
      announce(context, flags, trail);
      const { entries, unknownItems } = await withProgress(stderr, `Reading the deny list ${target.tableName}`, () => listRevocations(target));
      const nowSeconds = Math.floor(context.now() / 1000);
      stdout.write(flags.format === 'json' ? `${JSON.stringify(entries.map((entry) => toJson(entry, nowSeconds)), undefined, 2)}\n` : formatTable(entries, nowSeconds));
      if (unknownItems > 0) {
        stderr.write(`secure-api: The table holds ${unknownItems} item(s) whose key is not of the deny list's shape; the authorizer ignores them.\n`);
      }
    });
}

/**
 * Standard input as one refresh token, checked before the deny list is written: so a mistaken pipe (a
 * whole file, a log, a stream that never ends) is refused rather than half-applied, and never echoed.
 */
async function readRefreshToken(context: CliContext): Promise<string> {
  const text = await readStdin(context.streams, MAX_REFRESH_TOKEN_BYTES);
  if (text === undefined) {
    throw usageError(
      'ERR_BAD_TOKEN',
      `Standard input holds more than ${MAX_REFRESH_TOKEN_BYTES} bytes, more than any refresh token; --refresh-token-stdin takes one refresh token, alone.`,
    );
  }
  const token = text.trim();
  if (token === '') {
    throw usageError('ERR_EMPTY_TOKEN', 'Standard input held no refresh token. Pipe it in, e.g. `... --refresh-token-stdin < refresh-token.txt`.');
  }
  if (/[\s\p{Cc}\p{Cf}]/u.test(token)) {
    throw usageError('ERR_BAD_TOKEN', 'Standard input holds more than one line or word; --refresh-token-stdin takes one refresh token, alone.');
  }
  return token;
}

/** Adds the AWS options and `--table`. */
export function addDenyListOptions(command: Command): Command {
  return addAwsOptions(command)
    .option('--table <name>', 'the deny-list table (default: output DenyListTableName)')
    .option('--cdk-out <dir>', `the cloud assembly to read the authorizer's cache TTL and deny-list refresh from, if present (default: ${DEFAULT_CDK_OUT})`);
}

/** Resolves the table and its region; `region` is the user pool's when the command also calls Cognito. */
export function denyListTarget(context: CliContext, flags: DenyListFlags, trail: SettingTrail, region?: string): DenyListTarget {
  const tableName = trail.require({ value: flags.table, flag: '--table', outputKey: OutputKey.DenyListTableName });
  const settings: AwsClientSettings = region === undefined ? resolveStackRegion(context, flags, trail) : { region, profile: flags.profile };
  let client: DenyListTarget['client'] | undefined;
  return {
    tableName,
    region: settings.region,
    get client() {
      return (client ??= context.awsClients.dynamoDb(settings));
    },
  };
}

/** Writes one entry and returns the sentence that says what happened. */
export async function revokeEntry(
  context: CliContext,
  target: DenyListTarget,
  kind: RevocationKind,
  value: string,
  flags: RevokeFlags,
  defaultTtlSeconds?: number,
  issuedBefore?: number,
): Promise<string> {
  if (flags.reason.trim() === '') {
    throw usageError('ERR_EMPTY_REASON', '--reason is empty: say why, for whoever reads the deny list later.');
  }
  if (flags.by !== undefined && flags.by.trim() === '') {
    throw usageError('ERR_EMPTY_BY', '--by is empty: name who revokes, or leave --by out for your operating-system user name.');
  }
  // An item holds at most 400 KB, and every revoke, unrevoke and list prints these back.
  for (const [flag, text] of [['--reason', flags.reason], ['--by', flags.by ?? '']] as const) {
    const bytes = Buffer.byteLength(text, 'utf8');
    if (bytes > MAX_AUDIT_TEXT_BYTES) {
      throw usageError('ERR_TEXT_TOO_LONG', `${flag} must be at most ${MAX_AUDIT_TEXT_BYTES} bytes, a sentence or two for the audit trail (received: ${bytes} bytes).`);
    }
  }
  const nowSeconds = Math.floor(context.now() / 1000);
  const ttl = flags.expiresIn === undefined ? defaultTtlSeconds : parseDuration(flags.expiresIn, '--expires-in');
  const entry: Revocation = {
    kind,
    value,
    ...(issuedBefore === undefined ? {} : { issuedBefore }),
    reason: flags.reason,
    createdAt: nowSeconds,
    createdBy: flags.by ?? operatingSystemUser(context),
    ...(ttl === undefined ? {} : { expiresAt: nowSeconds + ttl }),
  };
  const outcome = await putRevocation(target, entry, nowSeconds);
  if (!outcome.written) {
    const existing = outcome.existing;
    const described = `${describeRevocation(existing)}, ${describeExpiry(existing)}, revoked by ${quoted(existing.createdBy)} for ${quoted(existing.reason)}`;
    const coversTime = kind !== 'before' || effectiveIssuedBefore(existing)! >= entry.issuedBefore!;
    const coversDuration = existing.expiresAt === undefined || (entry.expiresAt !== undefined && existing.expiresAt >= entry.expiresAt);
    if (coversTime && coversDuration) {
      return `The deny list ${target.tableName} already holds an entry that covers at least as much: ${described}. It stays; nothing changed.`;
    }
    // Later in time but shorter, or longer but earlier: neither entry covers the other, so the operator decides.
    throw usageError(
      'ERR_REVOCATION_CONFLICT',
      `The deny list ${target.tableName} already holds ${described}, which this entry would narrow (an earlier time or a sooner expiry); nothing changed. ` +
        'Unrevoke it, then revoke with the values you want.',
    );
  }
  return `Revoked ${describeRevocation(entry)} in the deny list ${target.tableName} (${describeExpiry(entry)}; reason ${quoted(entry.reason)}).`;
}

function describeBeforeKey(client: string): string {
  return client === EVERY_CLIENT ? 'the issue time of every token' : `the issue time of client ${quoted(client)}`;
}

function describeExpiry(entry: Revocation): string {
  return entry.expiresAt === undefined ? 'never expires' : `expires ${formatEpochSeconds(entry.expiresAt)}`;
}

function operatingSystemUser(context: CliContext): string {
  try {
    return userInfo().username;
  } catch {
    return context.env.USER ?? context.env.USERNAME ?? 'unknown';
  }
}

function toJson(entry: Revocation, nowSeconds: number): Record<string, unknown> {
  const iso = (seconds: number | undefined): string | undefined => (seconds === undefined ? undefined : formatEpochSeconds(seconds));
  const issuedBefore = effectiveIssuedBefore(entry);
  return {
    kind: entry.kind,
    value: entry.value,
    ...(issuedBefore === undefined ? {} : { issuedBefore: issuedBefore === Infinity ? 'any (not a number)' : iso(issuedBefore) }),
    reason: entry.reason,
    createdAt: iso(entry.createdAt),
    createdBy: entry.createdBy,
    expiresAt: iso(entry.expiresAt) ?? null,
    inForce: entry.expiresAt === undefined || entry.expiresAt > nowSeconds,
  };
}

function formatTable(entries: readonly Revocation[], nowSeconds: number): string {
  if (entries.length === 0) {
    return 'The deny list is empty.\n';
  }
  const header = ['KIND', 'VALUE', 'ISSUED BEFORE', 'CREATED', 'BY', 'EXPIRES', 'REASON'];
  const rows = entries.map((entry) => {
    const json = toJson(entry, nowSeconds);
    return [
      entry.kind,
      quoted(entry.value),
      String(json.issuedBefore ?? '-'),
      String(json.createdAt),
      quoted(entry.createdBy),
      json.expiresAt === null ? 'never' : `${String(json.expiresAt)}${json.inForce ? '' : ' (expired)'}`,
      quoted(entry.reason),
    ];
  });
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  return [header, ...rows].map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  ')).join('\n') + '\n';
}
