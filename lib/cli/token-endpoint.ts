/**
 * Which token endpoints may receive the machine client's secret: only the user pool's own domains.
 *
 * The CLI reads the client secret with the operator's AWS credentials (`DescribeUserPoolClient`) and
 * sends it to the token endpoint. The endpoint comes from a flag or from the outputs file, so before the
 * secret leaves, it is compared with the domains that `DescribeUserPool` reports for the pool:
 * - the prefix domain (`UserPool.Domain`): `https://<prefix>.auth.<region>.amazoncognito.com/oauth2/token`,
 *   `auth-fips` for the FIPS endpoint (the only one in AWS GovCloud (US)), and `amazoncognito.com.cn`
 *   in the China regions;
 * - the custom domain (`UserPool.CustomDomain`): `https://<domain>/oauth2/token`.
 *
 * @see https://docs.aws.amazon.com/cognito/latest/developerguide/token-endpoint.html
 * @see https://docs.aws.amazon.com/cognito/latest/developerguide/cognito-user-pools-assign-domain-prefix.html
 * @see https://docs.aws.amazon.com/govcloud-us/latest/UserGuide/govcloud-cog.html
 */
import { DescribeUserPoolCommand } from '@aws-sdk/client-cognito-identity-provider';
import { CognitoTarget, callAws } from './cognito';
import { configError } from './errors';
import { isLoopbackHost } from './http';

/** The path of the OAuth 2.0 token endpoint on a user pool domain. */
export const TOKEN_ENDPOINT_PATH = '/oauth2/token';

/** The flag that exempts one token endpoint, typed on the command line, from the domain check. */
export const TRUST_TOKEN_ENDPOINT_FLAG = '--trust-token-endpoint';

/** The domains of a user pool, as `DescribeUserPool` reports them. */
export interface UserPoolDomains {
  /** The prefix of the Amazon Cognito domain (`UserPool.Domain`), if the pool has one. */
  readonly prefix?: string;
  /** The custom domain (`UserPool.CustomDomain`), if the pool has one. */
  readonly custom?: string;
}

/**
 * The parent domains of Amazon Cognito prefix domains in `region`: `auth` and `auth-fips` under
 * `amazoncognito.com`; `auth-fips` only in AWS GovCloud (US), where Cognito serves FIPS endpoints only;
 * `auth` under `amazoncognito.com.cn` in the China regions.
 */
export function cognitoParentDomains(region: string): string[] {
  if (region.startsWith('cn-')) {
    return [`auth.${region}.amazoncognito.com.cn`];
  }
  if (region.startsWith('us-gov-')) {
    return [`auth-fips.${region}.amazoncognito.com`];
  }
  return [`auth.${region}.amazoncognito.com`, `auth-fips.${region}.amazoncognito.com`];
}

/** Every token endpoint of a pool with `domains` in `region`, e.g. `https://demo.auth.eu-west-1.amazoncognito.com/oauth2/token`. */
export function poolTokenEndpoints(domains: UserPoolDomains, region: string): URL[] {
  const hosts = [
    ...(domains.prefix ? cognitoParentDomains(region).map((parent) => `${domains.prefix}.${parent}`) : []),
    ...(domains.custom ? [domains.custom] : []),
  ];
  const urls: URL[] = [];
  for (const host of hosts) {
    try {
      urls.push(new URL(`https://${host}${TOKEN_ENDPOINT_PATH}`));
    } catch {
      // A domain that is no host name cannot match any endpoint.
    }
  }
  return urls;
}

/**
 * True when `endpoint` is one of `expected`: same host and port, path `/oauth2/token`, no query,
 * fragment or credentials, over https (plain http only for a loopback host, i.e. a local test double).
 */
export function isPoolTokenEndpoint(endpoint: URL, expected: readonly URL[]): boolean {
  const secure = endpoint.protocol === 'https:' || (endpoint.protocol === 'http:' && isLoopbackHost(endpoint.hostname));
  const plain = endpoint.pathname === TOKEN_ENDPOINT_PATH && endpoint.search === '' && endpoint.hash === '' && endpoint.username === '' && endpoint.password === '';
  return secure && plain && expected.some((url) => url.host === endpoint.host);
}

/** Reads the pool's domains with `DescribeUserPool`. */
export async function describeUserPoolDomains(target: CognitoTarget): Promise<UserPoolDomains> {
  const response = await callAws({ action: 'DescribeUserPool', region: target.region, userPoolId: target.userPoolId }, () =>
    target.client.send(new DescribeUserPoolCommand({ UserPoolId: target.userPoolId })),
  );
  return { prefix: response.UserPool?.Domain || undefined, custom: response.UserPool?.CustomDomain || undefined };
}

/**
 * Checks, before any client secret is sent, that `endpoint` is a token endpoint of the user pool.
 *
 * @param source where the endpoint came from, e.g. `output TokenEndpoint of stack Demo in /work/outputs.json`
 * @returns the pool's token endpoints
 * @throws CliError (exit 3) when the pool has no domain or `endpoint` is not one of its token endpoints,
 * or the mapped AWS error of `DescribeUserPool`
 */
export async function verifyPoolTokenEndpoint(target: CognitoTarget, endpoint: URL, source: string): Promise<URL[]> {
  const expected = poolTokenEndpoints(await describeUserPoolDomains(target), target.region);
  if (expected.length === 0) {
    throw configError(
      'ERR_USER_POOL_HAS_NO_DOMAIN',
      `User pool ${target.userPoolId} has no domain, so it has no token endpoint; the client secret was not sent to ${endpoint.origin} (from ${source}). Add a domain to the pool, or pass ${TRUST_TOKEN_ENDPOINT_FLAG} <url> if you really use another token endpoint.`,
    );
  }
  if (!isPoolTokenEndpoint(endpoint, expected)) {
    throw configError(
      'ERR_TOKEN_ENDPOINT_NOT_OF_POOL',
      `The token endpoint ${endpoint.href} (from ${source}) is not a token endpoint of user pool ${target.userPoolId}, whose token endpoints are ${expected.map((url) => url.href).join(', ')}; the client secret was not sent. Correct the value, or pass ${TRUST_TOKEN_ENDPOINT_FLAG} <url> if you really use another token endpoint.`,
    );
  }
  return expected;
}
