/**
 * The authorizer runtime's public API (`cdk-secure-api/authorizer`), for platform teams composing their own handler:
 *
 * ```ts
 * import { createAuthorizer, loadConfig } from 'cdk-secure-api/authorizer';
 * const authorizer = createAuthorizer(loadConfig(process.env, __dirname), { customCheck: ({ claims }) => claims.tenant === 'acme' });
 * export const handler = (event: unknown, context: { awsRequestId?: string }) => authorizer.handle(event, context);
 * ```
 */
import { createAuthorizer as createUncheckedAuthorizer } from './authorizer';
import type { Authorizer, AuthorizerOptions } from './authorizer';
import type { AuthorizerConfig } from './contract/config-types';

/**
 * Creates an authorizer. The configuration is validated here, once, as it is when read from JSON; cold-start
 * work (route table compilation and overlap analysis, key set creation) happens here too.
 * @param config the configuration, typically from {@link loadConfig}
 * @param options seams: transport, clock, log sink, custom check
 * @returns the authorizer
 * @throws ConfigError (code `ERR_CONFIG`) naming the bad setting
 */
export function createAuthorizer(config: AuthorizerConfig, options: AuthorizerOptions = {}): Authorizer {
  return createUncheckedAuthorizer(config, options);
}
export { createFailClosedAuthorizer } from './authorizer';
export type { Authorizer, AuthorizerOptions, CustomCheck, CustomCheckInput } from './authorizer';
export type { AuthorizerResult, PolicyDocument, PolicyStatement } from './policy';
export {
  AuthorizerError,
  ConfigError,
  FetchError,
  FetchTimeoutError,
  KeyNotFoundError,
  KeysUnavailableError,
  fetchFailureCauseOf,
  MalformedEventError,
  NoRouteError,
  PolicyInvariantError,
  TokenRejectedError,
} from './errors';
export { CONFIG_DEFAULTS, CONFIG_LIMITS, parseConfig, SUPPORTED_ALGORITHMS } from './contract/config';
export { loadConfig } from './config';
export { encodeText, formatDecision, ReasonCode, sanitizeText } from './contract/decision-log';
export type { Decision, DecisionRecord, LogLevel } from './contract/decision-log';
export {
  arnPatternMatches,
  arnPatternMatchesWithinSegments,
  cacheKeyScopeFor,
  cacheKeyScopeReason,
  compileRouteTable,
  findInexactRoutes,
  HTTP_VERBS,
  isPrefixPattern,
  parseMethodArn,
  routeArnPattern,
  routeArnPatterns,
  routePathPattern,
  routePathPatterns,
  routeVerbs,
  routeKey,
  routePathProblem,
} from './contract/routes';
export type { CompiledRoute, HttpVerb, MethodArn, PathSegment, RouteTable } from './contract/routes';
export { backoffDelayMs, createKeySet, MAX_BACKOFF_MS, RemoteKeySet, StaticKeySet, keyFitsAlgorithm } from './keys';
export type { KeySet, KeySetOptions } from './keys';
export { createHttpGetJson, createHttpPost, httpGetJson, httpPost, MAX_POST_RESPONSE_BYTES, MAX_RESPONSE_BYTES } from './http';
export type { FetchFunction, FetchInit, FetchResponse, HttpGetJsonOptions, HttpPost, PostInit, PostResponse } from './http';
export { AwsRequestError } from './aws';
export { DenyListUnavailableError } from './revocation';
export { PseudonymKeyUnavailableError } from './pseudonym-key';
export { formatKeyRefreshFailure, KEY_REFRESH_FAILED_MSG, KeyRefreshCause, OUTAGE_CAUSES } from './contract/key-refresh-log';
export type { KeyRefreshFailureRecord } from './contract/key-refresh-log';
export { extractBearerToken, MAX_TOKEN_LENGTH, TokenVerifier } from './verify';
export type { VerifiedToken } from './verify';
export { CONFIG_ENV_VAR, CONFIG_FILE_NAME } from './contract/config-types';
export type * from './contract/config-types';
