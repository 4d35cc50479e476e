// The public API of cdk-secure-api: the constructs, their props and defaults, and the testing helpers.
// The demo app (SecureApiStack, DemoItemsService, the cdk.json mapping) and the operator CLI are not part
// of it: bin/ and the tests import them from their own files.
export { SecureApiValidationError } from './errors';
export {
  ACCESS_LOG_VARIABLES,
  COGNITO_OAUTH_DEFAULTS,
  MONITORING_DEFAULTS,
  SECURE_API_DEFAULTS,
  WEB_ACL_DEFAULTS,
  createAuditLogGroup,
  renderAccessLogFormat,
} from './defaults';
export type { AuditLogGroupOptions } from './defaults';
export { ApiScope } from './api-scope';
export type { RouteScope } from './api-scope';
export * from './token-issuer';
export * from './jwt-authorizer';
export * from './api-gateway-account';
export * from './secure-api';
export type {
  AuthorizerConfig,
  CacheKeyScope,
  ClaimCondition,
  ClientIdClaim,
  IssuerConfig,
  JwsAlgorithm,
  KeyOptions,
  PublicJwk,
  RouteConfig,
  RouteMethod,
} from '../lambda/config-types';
export { CognitoOAuth } from './cognito-oauth';
export type { CognitoOAuthProps, MachineClientOptions, WebClientOptions } from './cognito-oauth';
export * from './testing';
export * from './secure-api-web-acl';
export * from './secure-api-monitoring';
export * from './audit-queries';
export * from './log-encryption-key';
export { estimateRuleCapacity, estimateStatementCapacity, MANAGED_RULE_GROUP_CAPACITY } from './waf-capacity';
export { WAF_COUNTRY_CODES } from './waf-inputs';
