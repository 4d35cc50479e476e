/**
 * The machine client's access token, for `token` and `smoke`: the token endpoint (checked against the
 * user pool unless trusted by flag), the client, the cache, and the progress and messages on stderr.
 */
import type { CliContext } from '../context';
import { usageError } from '../errors';
import { parseSecureUrl } from '../http';
import { withProgress } from '../io';
import { OutputKey, SettingTrail, resolveSetting } from '../outputs';
import { MachineToken, getMachineToken } from '../token';
import { TokenCache, defaultCacheDir } from '../token-cache';
import { TRUST_TOKEN_ENDPOINT_FLAG } from '../token-endpoint';
import { MachineFlags } from './options';
import { announce, connectTo, httpSeams } from './settings';

/**
 * Gets an access token of the machine client for `scopes`; with `needSecret`, one that carries the client secret.
 * With `announce` (the default) it first says where the settings came from; a caller getting several tokens
 * says it with the first only.
 */
export async function machineToken(
  context: CliContext,
  flags: MachineFlags,
  trail: SettingTrail,
  scopes: readonly string[],
  needSecret: boolean,
  announceSettings = true,
): Promise<{ token: MachineToken; clientId: string }> {
  const { stderr } = context.streams;
  const trusted = flags.trustTokenEndpoint !== undefined;
  if (trusted && flags.tokenEndpoint !== undefined) {
    throw usageError('ERR_CONFLICTING_OPTIONS', `Pass either --token-endpoint or ${TRUST_TOKEN_ENDPOINT_FLAG}, not both: both name the token endpoint.`);
  }
  const endpointSetting = trusted
    ? trail.record({ name: OutputKey.TokenEndpoint, value: flags.trustTokenEndpoint!, source: `${TRUST_TOKEN_ENDPOINT_FLAG}, not checked against the user pool`, fromOutputs: false })
    : trail.record(resolveSetting(trail.outputs, { value: flags.tokenEndpoint, flag: '--token-endpoint', outputKey: OutputKey.TokenEndpoint }));
  const tokenEndpoint = parseSecureUrl(endpointSetting.value, trusted ? TRUST_TOKEN_ENDPOINT_FLAG : endpointSetting.source);
  const clientId = trail.require({ value: flags.clientId, flag: '--client-id', outputKey: OutputKey.MachineClientId });
  const { userPoolId, connect } = connectTo(context, flags, trail);
  if (announceSettings) {
    announce(context, flags, trail);
  }
  if (trusted && announceSettings) {
    stderr.write(`secure-api: ${TRUST_TOKEN_ENDPOINT_FLAG}: ${tokenEndpoint.href} is not checked against the domains of user pool ${userPoolId}.\n`);
  }
  const cache = flags.cache ? new TokenCache(context.cacheDir ?? defaultCacheDir(context.env, context.homeDir)) : undefined;
  const messages: string[] = [];
  try {
    const token = await withProgress(stderr, 'Getting an access token', (progress) =>
      getMachineToken(
        { tokenEndpoint, tokenEndpointSource: endpointSetting.source, trustTokenEndpoint: trusted, userPoolId, clientId, scopes, cache, needSecret },
        connect,
        httpSeams(context, flags),
        {
          step: (text) => progress.update(text),
          note: (text) => {
            if (flags.verbose) messages.push(text);
          },
          warn: (text) => messages.push(`warning: ${text}`),
        },
      ),
    );
    return { token, clientId };
  } finally {
    // After the spinner has erased its line, so the messages stay readable.
    messages.forEach((message) => stderr.write(`secure-api: ${message}\n`));
  }
}
