/**
 * Where the commands' settings come from (flags, else the stack outputs file) and how they reach AWS:
 * the outputs trail, the note saying where values came from, the Cognito target, the HTTP seams.
 */
import type { AwsClientSettings } from '../aws-clients';
import { CognitoTarget, regionOfUserPool, resolveRegion } from '../cognito';
import type { CliContext } from '../context';
import { configError } from '../errors';
import { HttpSeams } from '../http';
import { OutputKey, SettingTrail, loadStackOutputs, optionalSetting, resolveSetting } from '../outputs';
import { AwsFlags, OutputsFlags, parseTimeout } from './options';

/** Reads the stack outputs file the flags name (or the default one) into a trail of settings. */
export function loadOutputs(context: CliContext, flags: OutputsFlags): SettingTrail {
  return new SettingTrail(loadStackOutputs({ file: flags.outputs, stack: flags.stack, cwd: context.cwd }));
}

/**
 * Says where the values came from before anything leaves the machine: one line when the outputs file
 * provided some (it is read without being named), every setting and its source with --verbose.
 */
export function announce(context: CliContext, flags: OutputsFlags, trail: SettingTrail): void {
  const lines = flags.verbose ? trail.details() : [trail.outputsNote()].filter((line): line is string => line !== undefined);
  lines.forEach((line) => context.streams.stderr.write(`secure-api: ${line}\n`));
}

/** Resolves the user pool, region and profile, recording each on the trail; `connect` creates the client once, on first use. */
export function connectTo(context: CliContext, flags: AwsFlags, trail: SettingTrail): { userPoolId: string; region: string; connect: () => CognitoTarget } {
  const userPoolId = trail.require({ value: flags.userPoolId, flag: '--user-pool-id', outputKey: OutputKey.UserPoolId });
  const region = resolveRegion(userPoolId, flags.region);
  trail.record({ name: 'Region', value: region, source: flags.region === undefined ? 'the user pool id' : '--region, which matches the user pool id', fromOutputs: false });
  recordProfile(context, flags, trail);
  for (const variable of ['AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER', 'AWS_ENDPOINT_URL']) {
    const endpoint = context.env[variable];
    if (endpoint) {
      trail.record({ name: 'Cognito API endpoint', value: endpoint, source: `environment variable ${variable}`, fromOutputs: false });
      break;
    }
  }
  let target: CognitoTarget | undefined;
  const connect = (): CognitoTarget => (target ??= { client: context.createCognitoClient({ region, profile: flags.profile }), region, userPoolId });
  return { userPoolId, region, connect };
}

/** Records the AWS profile the calls use (`--profile`, else `AWS_PROFILE`, else the standard chain) on the trail. */
function recordProfile(context: CliContext, flags: AwsFlags, trail: SettingTrail): void {
  const profile = flags.profile ?? context.env.AWS_PROFILE;
  trail.record({
    name: 'AWS profile',
    value: profile ?? '(none)',
    source: flags.profile !== undefined ? '--profile' : profile !== undefined ? 'environment variable AWS_PROFILE' : 'the standard AWS credential chain',
    fromOutputs: false,
  });
}

/** The HTTP seams of a command: the context's `fetch` and clock, and the `--timeout`. */
export function httpSeams(context: CliContext, flags: { timeout?: string }): HttpSeams {
  return { fetch: context.fetch, now: context.now, timeoutMs: parseTimeout(flags.timeout) };
}

/**
 * The region of a resource other than the user pool (the deny-list table, the log groups, the pseudonym
 * key): `--region`, else the user pool id's region (flag or output), else `AWS_REGION` or
 * `AWS_DEFAULT_REGION`. Recorded on the trail with the profile.
 *
 * @throws CliError (exit 3) when none of them names a region
 */
export function resolveStackRegion(context: CliContext, flags: AwsFlags, trail: SettingTrail): AwsClientSettings {
  const record = (value: string, source: string): void => void trail.record({ name: 'Region', value, source, fromOutputs: false });
  let region: string | undefined = flags.region;
  if (region !== undefined) {
    record(region, '--region');
  } else {
    const poolSource = { value: flags.userPoolId, flag: '--user-pool-id', outputKey: OutputKey.UserPoolId };
    if (optionalSetting(trail.outputs, poolSource) !== undefined) {
      region = regionOfUserPool(trail.record(resolveSetting(trail.outputs, poolSource)).value);
      record(region, 'the user pool id');
    } else {
      const variable = ['AWS_REGION', 'AWS_DEFAULT_REGION'].find((name) => context.env[name]);
      if (variable === undefined) {
        throw configError('ERR_NO_REGION', 'No region is known. Pass --region, or --user-pool-id or an outputs file with UserPoolId, or set AWS_REGION.');
      }
      region = context.env[variable]!;
      record(region, `environment variable ${variable}`);
    }
  }
  recordProfile(context, flags, trail);
  return { region, profile: flags.profile };
}
