/**
 * Reads the stack outputs that `cdk deploy --outputs-file outputs.json` writes, and resolves each
 * setting from a flag first, then from those outputs.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { configError } from './errors';

/** Names of the stack outputs the CLI reads. The demo stack exports all of them. */
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
} as const;

/** The file `--outputs` defaults to, when it exists in the working directory. */
export const DEFAULT_OUTPUTS_FILE = 'outputs.json';

/** The outputs of one deployed stack. */
export interface StackOutputs {
  /** The stack the values belong to. */
  readonly stackName: string;
  /** The outputs file, as the operator named it. */
  readonly file: string;
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
}

/**
 * Loads one stack's outputs. Returns `undefined` when no file was named and `outputs.json` does not
 * exist, so every value can still come from flags.
 *
 * @throws CliError (exit 3) when the named file is missing or malformed, or the stack is ambiguous or absent
 */
export function loadStackOutputs(options: LoadOutputsOptions): StackOutputs | undefined {
  const file = options.file ?? DEFAULT_OUTPUTS_FILE;
  const path = resolve(options.cwd, file);
  if (!existsSync(path)) {
    if (options.file === undefined) {
      return undefined;
    }
    throw configError(
      'ERR_OUTPUTS_NOT_FOUND',
      `The outputs file ${file} does not exist. Deploy with \`npx cdk deploy --outputs-file ${file}\`, or pass the values as flags.`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw configError('ERR_OUTPUTS_MALFORMED', `The outputs file ${file} is not valid JSON. Write it again with \`npx cdk deploy --outputs-file ${file}\`.`, error);
  }
  if (!isRecord(parsed) || !Object.values(parsed).every(isRecord)) {
    throw configError('ERR_OUTPUTS_MALFORMED', `The outputs file ${file} must map stack names to their outputs, as \`cdk deploy --outputs-file\` writes it.`);
  }
  const stacks = parsed as Record<string, Record<string, unknown>>;
  const stackName = chooseStack(stacks, file, options.stack);
  const values: Record<string, string> = {};
  for (const [key, value] of Object.entries(stacks[stackName])) {
    if (typeof value === 'string') {
      values[key] = value;
    }
  }
  return { stackName, file, values };
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
  if (names.length === 1) {
    return names[0];
  }
  // Several stacks, e.g. a platform app that deploys more than this API: pick the only one that is ours.
  const ours = names.filter((name) => OutputKey.UserPoolId in stacks[name] || OutputKey.ApiUrl in stacks[name]);
  if (ours.length === 1) {
    return ours[0];
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

/**
 * Returns the flag's value if given, else the stack output.
 *
 * @throws CliError (exit 3) naming both ways to provide it when neither does
 */
export function requireSetting(outputs: StackOutputs | undefined, source: SettingSource): string {
  if (source.value !== undefined && source.value !== '') {
    return source.value;
  }
  const fromOutputs = outputs?.values[source.outputKey];
  if (fromOutputs !== undefined && fromOutputs !== '') {
    return fromOutputs;
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

/** Returns the flag's value if given, else the stack output, else `undefined`. */
export function optionalSetting(outputs: StackOutputs | undefined, source: SettingSource): string | undefined {
  if (source.value !== undefined && source.value !== '') {
    return source.value;
  }
  return outputs?.values[source.outputKey] || undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
