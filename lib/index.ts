export * from './errors';
export * from './defaults';
export * from './api-scope';
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
export * from './cognito-oauth';
export * from './demo-items-service';
export * from './secure-api-stack';
export * from './app-config';
export * from './testing';
export * from './secure-api-web-acl';
export * from './secure-api-monitoring';
export * from './audit-queries';
export * from './log-encryption-key';
export { estimateRuleCapacity, estimateStatementCapacity, MANAGED_RULE_GROUP_CAPACITY } from './waf-capacity';
export { WAF_COUNTRY_CODES } from './waf-inputs';
