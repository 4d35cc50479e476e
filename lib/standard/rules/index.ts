import type { StandardRule } from '../rule';
import { authOnEveryMethod } from './auth-on-every-method';
import { authorizerCache } from './authorizer-cache';
import { cognitoClient } from './cognito-client';
import { corsCredentials } from './cors-credentials';
import { domainTls } from './domain-tls';
import { functionUrlAuth } from './function-url-auth';
import { httpApiRouteAuth } from './http-api-route-auth';
import { logRetention } from './log-retention';
import { accessLogging } from './access-logging';
import { noDataTrace } from './no-data-trace';
import { stageThrottling } from './stage-throttling';
import { stageWebAcl } from './stage-web-acl';

/** Every rule of the API standard, in report order. */
export const STANDARD_RULES: readonly StandardRule[] = Object.freeze(
  [
  authOnEveryMethod,
  httpApiRouteAuth,
  functionUrlAuth,
  stageWebAcl,
  stageThrottling,
  accessLogging,
  noDataTrace,
  logRetention,
  domainTls,
  corsCredentials,
  cognitoClient,
  authorizerCache,
  ].map((rule) => Object.freeze(rule)),
);
