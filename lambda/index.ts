/**
 * The authorizer runtime's public API, for platform teams composing their own handler:
 *
 * ```ts
 * import { createAuthorizer, loadConfig } from 'cdk-secure-api/dist/lambda';
 * const authorizer = createAuthorizer(loadConfig(process.env, __dirname), { customCheck: ({ claims }) => claims.tenant === 'acme' });
 * export const handler = (event: unknown, context: { awsRequestId?: string }) => authorizer.handle(event, context);
 * ```
 */
export { createAuthorizer, createFailClosedAuthorizer } from './authorizer';
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
export { CONFIG_DEFAULTS, CONFIG_LIMITS, loadConfig, parseConfig, SUPPORTED_ALGORITHMS } from './config';
export { encodeText, formatDecision, ReasonCode, sanitizeText } from './decision-log';
export type { Decision, DecisionRecord, LogLevel } from './decision-log';
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
} from './routes';
export type { CompiledRoute, HttpVerb, MethodArn, PathSegment, RouteTable } from './routes';
export { backoffDelayMs, createKeySet, MAX_BACKOFF_MS, RemoteKeySet, StaticKeySet, keyFitsAlgorithm } from './keys';
export type { KeySet, KeySetOptions } from './keys';
export { createHttpGetJson, httpGetJson, MAX_RESPONSE_BYTES } from './http';
export type { FetchFunction, FetchInit, FetchResponse, HttpGetJsonOptions } from './http';
export { formatKeyRefreshFailure, KEY_REFRESH_FAILED_MSG, KeyRefreshCause, OUTAGE_CAUSES } from './key-refresh-log';
export type { KeyRefreshFailureRecord } from './key-refresh-log';
export { extractBearerToken, MAX_TOKEN_LENGTH, TokenVerifier } from './verify';
export type { VerifiedToken } from './verify';
export { CONFIG_ENV_VAR, CONFIG_FILE_NAME } from './config-types';
export type * from './config-types';
