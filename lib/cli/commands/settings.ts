/**
 * Where the commands' settings come from (flags, else the stack outputs file) and how they reach AWS:
 * the outputs trail, the note saying where values came from, the Cognito target, the HTTP seams.
 */
import { CognitoTarget, resolveRegion } from '../cognito';
import type { CliContext } from '../context';
import { HttpSeams } from '../http';
import { OutputKey, SettingTrail, loadStackOutputs } from '../outputs';
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
export function connectTo(context: CliContext, flags: AwsFlags, trail: SettingTrail): { userPoolId: string; connect: () => CognitoTarget } {
  const userPoolId = trail.require({ value: flags.userPoolId, flag: '--user-pool-id', outputKey: OutputKey.UserPoolId });
  const region = resolveRegion(userPoolId, flags.region);
  trail.record({ name: 'Region', value: region, source: flags.region === undefined ? 'the user pool id' : '--region, which matches the user pool id', fromOutputs: false });
  const profile = flags.profile ?? context.env.AWS_PROFILE;
  trail.record({
    name: 'AWS profile',
    value: profile ?? '(none)',
    source: flags.profile !== undefined ? '--profile' : profile !== undefined ? 'environment variable AWS_PROFILE' : 'the standard AWS credential chain',
    fromOutputs: false,
  });
  for (const variable of ['AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER', 'AWS_ENDPOINT_URL']) {
    const endpoint = context.env[variable];
    if (endpoint) {
      trail.record({ name: 'Cognito API endpoint', value: endpoint, source: `environment variable ${variable}`, fromOutputs: false });
      break;
    }
  }
  let target: CognitoTarget | undefined;
  const connect = (): CognitoTarget => (target ??= { client: context.createCognitoClient({ region, profile: flags.profile }), region, userPoolId });
  return { userPoolId, connect };
}

/** The HTTP seams of a command: the context's `fetch` and clock, and the `--timeout`. */
export function httpSeams(context: CliContext, flags: { timeout?: string }): HttpSeams {
  return { fetch: context.fetch, now: context.now, timeoutMs: parseTimeout(flags.timeout) };
}
