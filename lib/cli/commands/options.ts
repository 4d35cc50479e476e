/**
 * The options several commands share (outputs file, AWS target, machine client), their parsed flags,
 * and the small parsers behind them.
 */
import { Command } from 'commander';
import { usageError } from '../errors';
import { DEFAULT_HTTP_TIMEOUT_MS } from '../token';
import { TRUST_TOKEN_ENDPOINT_FLAG } from '../token-endpoint';

/** Flags of every command that reads the stack outputs file. */
export interface OutputsFlags {
  readonly outputs?: string;
  readonly stack?: string;
  readonly verbose?: boolean;
}

/** Flags of the commands that call Cognito. */
export interface AwsFlags extends OutputsFlags {
  readonly region?: string;
  readonly profile?: string;
  readonly userPoolId?: string;
}

/** Flags of the commands that get a machine token. */
export interface MachineFlags extends AwsFlags {
  readonly tokenEndpoint?: string;
  readonly trustTokenEndpoint?: string;
  readonly clientId?: string;
  readonly cache: boolean;
  readonly timeout?: string;
}

/** Adds `--outputs`, `--stack` and `--verbose`. */
export function addOutputsOptions(command: Command): Command {
  return command
    .option('--outputs <file>', 'stack outputs written by `cdk deploy --outputs-file` (default: ./outputs.json, if present)')
    .option('--stack <name>', 'the stack in the outputs file (default: the only one)')
    .option('--verbose', 'print every setting and where it came from (flag, environment, outputs file and stack output), and what was checked');
}

/** Adds the outputs options, `--user-pool-id`, `--region` and `--profile`. */
export function addAwsOptions(command: Command): Command {
  return addOutputsOptions(command)
    .option('--user-pool-id <id>', 'the Cognito user pool (default: output UserPoolId)')
    .option('--region <region>', "AWS region (default: the user pool id's region)")
    .option('--profile <name>', 'AWS profile (default: the standard credential chain)');
}

/** Adds the AWS options and those of the machine client and its token endpoint. */
export function addMachineOptions(command: Command): Command {
  return addAwsOptions(command)
    .option('--token-endpoint <url>', "the OAuth 2.0 token endpoint (default: output TokenEndpoint); must be a domain of the user pool")
    .option(
      `${TRUST_TOKEN_ENDPOINT_FLAG} <url>`,
      'send the client secret to this token endpoint without checking it against the user pool (e.g. a local Cognito emulator); only as a flag',
    )
    .option('--client-id <id>', 'the machine client (default: output MachineClientId)')
    .option('--timeout <seconds>', `timeout of each HTTP request (default: ${DEFAULT_HTTP_TIMEOUT_MS / 1000})`);
}

/** Commander argument parser of a repeatable option. */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** `--timeout` in milliseconds. */
export function parseTimeout(value: string | undefined): number {
  if (value === undefined) {
    return DEFAULT_HTTP_TIMEOUT_MS;
  }
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 300) {
    throw usageError('ERR_BAD_TIMEOUT', `--timeout must be a number of seconds above 0 and at most 300 (received: ${JSON.stringify(value)}).`);
  }
  return Math.round(seconds * 1000);
}
