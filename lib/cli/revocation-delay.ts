/**
 * The bound on the delay from `revoke` to a 401, as far as the synthesized stack tells it: API Gateway
 * answers from the authorizer's results cache for up to its TTL, and the authorizer reads the deny list
 * into a snapshot that it renews every `refreshSeconds`. Read from `cdk.out` when the operator has it; no
 * AWS call.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readCloudAssembly } from './cloud-assembly';
import { formatSeconds } from './durations';
import { GATEWAY_DEFAULT_CACHE_TTL_SECONDS, readAuthorizerConfig } from './report/authorizer-config';
import { isRecord, ofType } from './report/template';
import { references } from './report/values';

/** What the stack says about the delay. */
export interface RevocationDelay {
  /** The longest results-cache TTL of the stack's authorizers, in seconds. */
  readonly cacheTtlSeconds: number;
  /** The longest deny-list refresh interval of their configurations, when they state one. */
  readonly refreshSeconds?: number;
  /** Where it was read, e.g. `stack Demo in cdk.out`. */
  readonly source: string;
}

/**
 * Reads the delay bound of `stackName` from the cloud assembly in `cdkOut`, or returns `undefined` when
 * there is no assembly, no such stack, or no authorizer in it. Never throws: the bound is a courtesy.
 */
export function readRevocationDelay(cwd: string, cdkOut: string, stackName: string | undefined): RevocationDelay | undefined {
  const dir = resolve(cwd, cdkOut);
  if (stackName === undefined || !existsSync(join(dir, 'manifest.json'))) {
    return undefined;
  }
  try {
    const stack = readCloudAssembly(dir, cdkOut).find((candidate) => candidate.stackName === stackName);
    const resources = stack?.template.Resources ?? {};
    const authorizers = ofType(resources, 'AWS::ApiGateway::Authorizer');
    if (stack === undefined || authorizers.length === 0) {
      return undefined;
    }
    let cacheTtlSeconds = 0;
    let refreshSeconds: number | undefined;
    for (const [, authorizer] of authorizers) {
      const ttl = authorizer.Properties?.AuthorizerResultTtlInSeconds;
      cacheTtlSeconds = Math.max(cacheTtlSeconds, typeof ttl === 'number' ? ttl : GATEWAY_DEFAULT_CACHE_TTL_SECONDS);
      for (const id of references(authorizer.Properties?.AuthorizerUri)) {
        const fn = resources[id];
        if (fn?.Type !== 'AWS::Lambda::Function') continue;
        const denyList = readAuthorizerConfig(stack, fn).config?.denyList;
        const refresh = isRecord(denyList) ? denyList.refreshSeconds : undefined;
        if (typeof refresh === 'number') {
          refreshSeconds = Math.max(refreshSeconds ?? 0, refresh);
        }
      }
    }
    return { cacheTtlSeconds, ...(refreshSeconds === undefined ? {} : { refreshSeconds }), source: `stack ${stackName} in ${cdkOut}` };
  } catch {
    return undefined;
  }
}

/** The sentence every revoke ends with: the bound, with the stack's numbers when they are known. */
export function describeRevocationDelay(delay: RevocationDelay | undefined): string {
  if (delay === undefined) {
    return (
      'The authorizer refuses the tokens it covers once its results cache for them expires and its deny-list snapshot renews: ' +
      "at most the authorizer's cache TTL plus the deny list's refresh interval plus one read of the table (run it where `cdk.out` is, or pass --cdk-out, to see this stack's numbers)."
    );
  }
  const refresh = delay.refreshSeconds === undefined ? "the deny list's refresh interval" : `the deny list's refresh interval (${formatSeconds(delay.refreshSeconds)})`;
  const total = delay.refreshSeconds === undefined ? 'within' : `within about ${formatSeconds(delay.cacheTtlSeconds + delay.refreshSeconds)}:`;
  return (
    `The authorizer refuses the tokens it covers ${total} its results-cache TTL (${formatSeconds(delay.cacheTtlSeconds)}) plus ${refresh} ` +
    `plus one read of the table (from ${delay.source}, as synthesized).`
  );
}
