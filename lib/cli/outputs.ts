/**
 * Reads the stack outputs that `cdk deploy --outputs-file outputs.json` writes, and resolves each
 * setting from a flag first, then from those outputs, remembering where each value came from.
 *
 * The file steers where the CLI sends the client secret it reads with the operator's AWS credentials
 * (the token endpoint) and the tokens it gets (the API URL), so it is trusted like an ssh key file: on
 * POSIX systems a file that another user owns, that everyone may write, or that a group other than the
 * user's private group may write, is refused.
 */
import { Stats, closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { configError, usageError } from './errors';

/** Names of the stack outputs the CLI reads. The demo stack exports them (the optional ones when the feature is on). */
export const OutputKey = {
  /** Invoke URL of the API stage, ending in `/`. */
  ApiUrl: 'ApiUrl',
  /** The Cognito domain's OAuth 2.0 token endpoint. */
  TokenEndpoint: 'TokenEndpoint',
  /** The Cognito user pool id, `<region>_<id>`. */
  UserPoolId: 'UserPoolId',
  /** The app client for the client-credentials grant (machine to machine). */
  MachineClientId: 'MachineClientId',
  /** The app client for people (authorization code + PKCE). */
  WebClientId: 'WebClientId',
  /** The scope the read routes require. */
  ItemsReadScope: 'ItemsReadScope',
  /** The scope the write routes require. */
  ItemsWriteScope: 'ItemsWriteScope',
  /** The API Gateway access log group. */
  AccessLogGroupName: 'AccessLogGroupName',
  /** The JWT authorizer's decision log group. */
  AuthorizerLogGroupName: 'AuthorizerLogGroupName',
  /** The web ACL's log group, when the API has one. */
  WafLogGroupName: 'WafLogGroupName',
  /** API Gateway's execution log group, when execution logs are on. */
  ExecutionLogGroupName: 'ExecutionLogGroupName',
  /** The deny-list table, when revocation is on. */
  DenyListTableName: 'DenyListTableName',
  /** The Secrets Manager secret holding the pseudonym key, when the log profile is `pseudonymous`. */
  PseudonymKeySecretArn: 'PseudonymKeySecretArn',
  /** The log profile's name: `full`, `minimal` or `pseudonymous`. */
  LogProfile: 'LogProfile',
} as const;

/** The file `--outputs` defaults to, when it exists in the working directory. */
export const DEFAULT_OUTPUTS_FILE = 'outputs.json';

/** The outputs of one deployed stack. */
export interface StackOutputs {
  /** The stack the values belong to. */
  readonly stackName: string;
  /** The outputs file, as the operator named it. */
  readonly file: string;
  /** The outputs file's absolute path. */
  readonly path: string;
  /** Output key to value. */
  readonly values: Readonly<Record<string, string>>;
}

/** Where to find the stack outputs. */
export interface LoadOutputsOptions {
  /** `--outputs`: the file written by `cdk deploy --outputs-file`. @default - `outputs.json` in `cwd`, if present */
  readonly file?: string;
  /** `--stack`: which stack of the file. @default - the only stack, or the only one with our outputs */
  readonly stack?: string;
  /** Directory relative paths are resolved against. */
  readonly cwd: string;
  /** The account database of the group rule. @default - `/etc/passwd` and `/etc/group` */
  readonly accounts?: () => AccountDatabase;
}

/** The owner, group and mode bits of a file, as `fstat` returns them. */
export type FileOwnership = Pick<Stats, 'uid' | 'gid' | 'mode'>;

/** The account database the group rule reads: the text of `/etc/passwd` and `/etc/group`. */
export interface AccountDatabase {
  /** `name:password:uid:gid:...` lines. */
  readonly passwd: string;
  /** `name:password:gid:member,member` lines. */
  readonly group: string;
}

/**
 * Whether `gid` is the private group of the user `uid` (the user-private-group scheme of Debian and Ubuntu,
 * whose default umask 002 makes every new file group-writable): the group exists, no other account has it as
 * primary group, and its member list is empty or names that user alone, who must belong to it one way or the
 * other. This is the rule Debian's OpenSSH applies to `authorized_keys`. A group it cannot see (the files are
 * unreadable, or the group comes from LDAP or another directory) is not private.
 * @param gid the file's group
 * @param uid the user running the CLI
 * @param accounts the account database
 */
export function isPrivateGroup(gid: number, uid: number, accounts: AccountDatabase): boolean {
  const rows = (text: string) => text.split('\n').filter((line) => line !== '' && !line.startsWith('#')).map((line) => line.split(':'));
  const users = rows(accounts.passwd);
  const group = rows(accounts.group).find((fields) => Number(fields[2]) === gid && fields[2] !== '');
  const user = users.find((fields) => Number(fields[2]) === uid && fields[2] !== '');
  if (group === undefined || user === undefined) {
    return false;
  }
  const primaryOf = users.filter((fields) => Number(fields[3]) === gid && fields[3] !== '');
  if (primaryOf.some((fields) => Number(fields[2]) !== uid)) {
    return false;
  }
  const members = (group[3] ?? '').split(',').map((name) => name.trim()).filter(Boolean);
  if (members.some((name) => name !== user[0])) {
    return false;
  }
  return primaryOf.length > 0 || members.length > 0;
}

/** Reads `/etc/passwd` and `/etc/group`; an unreadable file reads as empty, so no group is private. */
export function systemAccounts(): AccountDatabase {
  const read = (path: string) => {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return '';
    }
  };
  return { passwd: read('/etc/passwd'), group: read('/etc/group') };
}

/**
 * Says why an outputs file cannot be trusted, or returns `undefined` when it can: it must be owned by
 * the user running the CLI (or by root), others may not write it, and its group may write it only when
 * that group is the user's private group ({@link isPrivateGroup}). Like ssh with `authorized_keys`,
 * because whoever can write the file chooses where the client secret goes.
 *
 * @param currentUid the uid of the user running the CLI
 * @param accounts the account database, read only when the group may write the file
 */
export function outputsFileProblem(stats: FileOwnership, currentUid: number, accounts: () => AccountDatabase = systemAccounts): string | undefined {
  if (stats.uid !== currentUid && stats.uid !== 0) {
    return `is owned by another user (uid ${stats.uid}, you are uid ${currentUid})`;
  }
  const mode = `mode ${(stats.mode & 0o777).toString(8).padStart(4, '0')}`;
  if ((stats.mode & 0o002) !== 0) {
    return `can be written by ${(stats.mode & 0o020) !== 0 ? 'its group and ' : ''}every user (${mode})`;
  }
  if ((stats.mode & 0o020) !== 0 && !isPrivateGroup(stats.gid, currentUid, accounts())) {
    return `can be written by its group (${mode}, gid ${stats.gid}, which is not your private group)`;
  }
  return undefined;
}

/**
 * Loads one stack's outputs. Returns `undefined` when no file was named and `outputs.json` does not
 * exist, so every value can still come from flags.
 *
 * On POSIX systems the file must pass {@link outputsFileProblem}. On Windows that check is skipped:
 * Node reports no owner and synthesized mode bits there, and cannot read NTFS ACLs; keep the file in a
 * folder only you can write (your user profile), and rely on the user pool domain check of the token
 * endpoint, which runs on every platform.
 *
 * @throws CliError (exit 3) when the named file is missing, unreadable, untrusted or malformed, or the
 * stack is ambiguous or absent
 */
export function loadStackOutputs(options: LoadOutputsOptions): StackOutputs | undefined {
  const file = options.file ?? DEFAULT_OUTPUTS_FILE;
  const path = resolve(options.cwd, file);
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw configError('ERR_OUTPUTS_UNREADABLE', `The outputs file ${path} cannot be read (${(error as NodeJS.ErrnoException).code}). Check its permissions, or pass the values as flags.`, error);
    }
    if (options.file === undefined) {
      return undefined;
    }
    throw configError(
      'ERR_OUTPUTS_NOT_FOUND',
      `The outputs file ${file} does not exist. Deploy with \`npx cdk deploy --outputs-file ${file}\`, or pass the values as flags.`,
    );
  }
  let text: string;
  try {
    // Checked and read through one descriptor, so the file cannot be swapped between the two.
    const stats = fstatSync(fd);
    if (!stats.isFile()) {
      throw configError('ERR_OUTPUTS_NOT_A_FILE', `The outputs file ${path} is not a regular file. Pass the file written by \`cdk deploy --outputs-file\`.`);
    }
    const problem = process.platform === 'win32' || process.getuid === undefined ? undefined : outputsFileProblem(stats, process.getuid(), options.accounts);
    if (problem !== undefined) {
      throw configError(
        'ERR_OUTPUTS_UNTRUSTED',
        `The outputs file ${path} ${problem}, so someone else could choose where your client secret and tokens go. Make it yours and private (\`chmod go-w\`, \`chown\`), or pass the values as flags.`,
      );
    }
    text = readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw configError('ERR_OUTPUTS_MALFORMED', `The outputs file ${file} is not valid JSON. Write it again with \`npx cdk deploy --outputs-file ${file}\`.`, error);
  }
  if (!isRecord(parsed) || !Object.values(parsed).every(isRecord)) {
    throw configError('ERR_OUTPUTS_MALFORMED', `The outputs file ${file} must map stack names to their outputs, as \`cdk deploy --outputs-file\` writes it.`);
  }
  const stacks = parsed as Record<string, Record<string, unknown>>;
  const stackName = chooseStack(stacks, file, options.stack);
  const values: Record<string, string> = {};
  // chooseStack returns one of the file's stack names.
  for (const [key, value] of Object.entries(stacks[stackName] ?? {})) {
    if (typeof value === 'string') {
      values[key] = value;
    }
  }
  return { stackName, file, path, values };
}

function chooseStack(stacks: Record<string, Record<string, unknown>>, file: string, wanted: string | undefined): string {
  const names = Object.keys(stacks);
  if (wanted !== undefined) {
    if (!names.includes(wanted)) {
      throw configError(
        'ERR_STACK_NOT_FOUND',
        `The outputs file ${file} has no stack ${wanted} (stacks: ${names.join(', ') || 'none'}). Pass one of those to --stack.`,
      );
    }
    return wanted;
  }
  const [only] = names;
  if (names.length === 1 && only !== undefined) {
    return only;
  }
  // Several stacks, e.g. a platform app that deploys more than this API: pick the only one that is ours.
  const ours = Object.entries(stacks)
    .filter(([, outputs]) => OutputKey.UserPoolId in outputs || OutputKey.ApiUrl in outputs)
    .map(([name]) => name);
  const [oursOnly] = ours;
  if (ours.length === 1 && oursOnly !== undefined) {
    return oursOnly;
  }
  if (names.length === 0) {
    throw configError('ERR_OUTPUTS_EMPTY', `The outputs file ${file} holds no stack. Deploy with \`npx cdk deploy --outputs-file ${file}\`.`);
  }
  throw configError('ERR_STACK_AMBIGUOUS', `The outputs file ${file} holds several stacks (${names.join(', ')}). Choose one with --stack.`);
}

/** One setting that a flag or a stack output can provide. */
export interface SettingSource {
  /** The flag's value, if given; it wins over the outputs file. */
  readonly value?: string;
  /** The flag, e.g. `--token-endpoint`, named in the error message. */
  readonly flag: string;
  /** The stack output key, e.g. `TokenEndpoint`. */
  readonly outputKey: string;
}

/** A setting's value and where it came from. */
export interface ResolvedSetting {
  /** What the setting is, e.g. `TokenEndpoint` (the stack output key, also for flag values). */
  readonly name: string;
  /** The value. Settings are never secrets: the client secret is read from AWS, never from a setting. */
  readonly value: string;
  /** Where the value came from, e.g. `--token-endpoint` or `output TokenEndpoint of stack Demo in /work/outputs.json`. */
  readonly source: string;
  /** True when the value came from the outputs file. */
  readonly fromOutputs: boolean;
}

/** Where a stack's outputs were read, e.g. `stack Demo in /work/outputs.json`. */
export function describeOutputs(outputs: StackOutputs): string {
  return `stack ${outputs.stackName} in ${outputs.path}`;
}

/**
 * Returns the flag's value if given, else the stack output, with its source.
 *
 * @throws CliError (exit 3) naming both ways to provide it when neither does; (exit 2) when the flag is empty
 */
export function resolveSetting(outputs: StackOutputs | undefined, source: SettingSource): ResolvedSetting {
  refuseEmptyFlag(source);
  if (source.value !== undefined) {
    return { name: source.outputKey, value: source.value, source: source.flag, fromOutputs: false };
  }
  const fromOutputs = outputs?.values[source.outputKey];
  if (outputs !== undefined && fromOutputs !== undefined && fromOutputs !== '') {
    return { name: source.outputKey, value: fromOutputs, source: `output ${source.outputKey} of ${describeOutputs(outputs)}`, fromOutputs: true };
  }
  if (outputs === undefined) {
    throw configError(
      'ERR_SETTING_MISSING',
      `No ${source.outputKey} given. Pass ${source.flag}, or --outputs with the file written by \`cdk deploy --outputs-file\`.`,
    );
  }
  throw configError(
    'ERR_OUTPUT_MISSING',
    `Stack ${outputs.stackName} in ${outputs.file} has no output ${source.outputKey}. Pass ${source.flag}, or choose the stack that exports it with --stack.`,
  );
}

/**
 * Returns the flag's value if given, else the stack output.
 *
 * @throws CliError (exit 3) naming both ways to provide it when neither does; (exit 2) when the flag is empty
 */
export function requireSetting(outputs: StackOutputs | undefined, source: SettingSource): string {
  return resolveSetting(outputs, source).value;
}

/**
 * The settings one command resolved, in order, with their sources: what `--verbose` prints, and the
 * one line that says which values the outputs file provided.
 */
export class SettingTrail {
  private readonly settings: ResolvedSetting[] = [];

  /** @param outputs the stack outputs the command loaded, if any */
  constructor(public readonly outputs: StackOutputs | undefined) {}

  /** Every setting recorded so far. */
  public get entries(): readonly ResolvedSetting[] {
    return this.settings;
  }

  /**
   * Resolves a setting with {@link resolveSetting} and records it.
   *
   * @throws CliError (exit 3) when neither the flag nor the outputs provide it
   */
  public require(source: SettingSource): string {
    return this.record(resolveSetting(this.outputs, source)).value;
  }

  /** Records a setting that came from elsewhere (a flag without output, the environment, a default). */
  public record(setting: ResolvedSetting): ResolvedSetting {
    this.settings.push(setting);
    return setting;
  }

  /**
   * One line naming the outputs file and the values it provided, e.g. `Using TokenEndpoint, UserPoolId
   * from output of stack Demo in /work/outputs.json.`; `undefined` when it provided none.
   */
  public outputsNote(): string | undefined {
    const used = this.settings.filter((setting) => setting.fromOutputs).map((setting) => setting.name);
    if (this.outputs === undefined || used.length === 0) {
      return undefined;
    }
    return `Using ${[...new Set(used)].join(', ')} from the outputs of ${describeOutputs(this.outputs)}.`;
  }

  /** One line per setting: name, value and source. */
  public details(): string[] {
    return this.settings.map((setting) => `${setting.name} = ${setting.value} (from ${setting.source})`);
  }
}

/**
 * Returns the flag's value if given, else the stack output, else `undefined`.
 *
 * @throws CliError (exit 2) when the flag is empty
 */
export function optionalSetting(outputs: StackOutputs | undefined, source: SettingSource): string | undefined {
  refuseEmptyFlag(source);
  if (source.value !== undefined) {
    return source.value;
  }
  return outputs?.values[source.outputKey] || undefined;
}

// An empty flag is most often an unset shell variable (`--table "$TABLE"`): the output in its place
// could be another stage's resource.
function refuseEmptyFlag(source: SettingSource): void {
  if (source.value === '') {
    throw usageError('ERR_EMPTY_FLAG', `${source.flag} is empty. Pass a value, or leave ${source.flag} out to use output ${source.outputKey}.`);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
