// The public API of cdk-secure-api: the constructs, their props and defaults, and the testing helpers.
// The demo app (SecureApiStack, DemoItemsService, the cdk.json mapping) and the operator CLI are not part
// of it: bin/ and the tests import them from their own files.
export { SecureApiValidationError } from './errors';
export {
  ACCESS_LOG_VARIABLES,
  COGNITO_OAUTH_DEFAULTS,
  MONITORING_DEFAULTS,
  REVOCATION_DEFAULTS,
  SECURE_API_DEFAULTS,
  WEB_ACL_DEFAULTS,
  createAuditLogGroup,
  renderAccessLogFormat,
} from './defaults';
export type { AuditLogGroupOptions } from './defaults';
export { ApiScope } from './authorizer/api-scope';
export type { RouteScope } from './authorizer/api-scope';
export * from './authorizer/token-issuer';
export * from './authorizer/jwt-authorizer';
export * from './api-gateway-account';
export * from './secure-api/secure-api';
export * from './secure-api/invoke-permissions';
export * from './revocation/deny-list';
export {
  ACCESS_LOG_VARIABLES_LEFT_OUT,
  DECISION_LOG_PERSONAL_FIELDS,
  LOG_KINDS,
  PERSONAL_ACCESS_LOG_VARIABLES,
  accessLogFieldsFor,
} from './data-protection';
export type { LogKind, LogProfile, LogRetentionByKind } from './data-protection';
export type { RouteOptions, SecureApiRoute } from './secure-api/routes';
export type { ExecutionLogLevel, SecureApiCorsOptions } from './secure-api/stage-options';
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
} from '../lambda/contract';
export { CognitoOAuth } from './cognito-oauth';
export type { CognitoOAuthProps, MachineClientOptions, WebClientOptions } from './cognito-oauth';
export * from './testing';
export * from './waf/secure-api-web-acl';
export * from './waf/options';
export * from './monitoring/secure-api-monitoring';
export * from './monitoring/audit-queries';
export * from './log-encryption-key';
export * from './key-policies';
export { estimateRuleCapacity, estimateStatementCapacity, MANAGED_RULE_GROUP_CAPACITY } from './waf/capacity';
export { WAF_COUNTRY_CODES } from './waf/inputs';
export { SecureApiStandard, checkTemplates, acknowledgementOf } from './standard/secure-api-standard';
export type { SecureApiStandardProps, StandardRuleResult } from './standard/secure-api-standard';
export { STANDARD_RULES } from './standard/rules';
export { REQUIRED_ACCESS_LOG_FIELDS } from './standard/rules/access-logging';
export type { RuleFinding, StandardRule, StandardRuleLevel } from './standard/rule';
export { StackTemplate, at, listAt, referencedId, refersTo } from './standard/template';
export type { TemplateResource } from './standard/template';
export { PUBLIC_DECLARATION_METADATA_KEY, declarePublic } from './standard/declarations';
export { SecureApiOrgDefaults, SECURE_API_INJECTION_ID, SECURE_API_MONITORING_INJECTION_ID } from './org-defaults';
export type { SecureApiOrgDefaultsProps } from './org-defaults';
