import { Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import { NAG_REASONS, acknowledge } from '../nag-acknowledgements';
import { authorizationTypeOf, isCorsPreflight, isHttpIntegration, usesAuthorizer } from './methods';

/** Why a route added with `{ public: true }` is public: the API owner said so. */
export const PUBLIC_ROUTE_DECLARATION = 'The API owner declared this route public with addRoute(..., { public: true }); it takes no tokens.';

const PUBLIC_ROUTE_REASON = {
  apig4: 'The API owner declared this route public with addRoute(..., { public: true }); SecureApi fails synthesis for any other unauthenticated method.',
  cog4: PUBLIC_ROUTE_DECLARATION,
};
const CORS_PREFLIGHT_REASON = 'CORS preflight: browsers send OPTIONS without credentials, and the MOCK integration reaches no backend.';
const JWT_AUTHORIZER_REASON = 'Methods use a Lambda JWT authorizer that verifies Cognito/OIDC access tokens and per-route OAuth scopes.';

/** The parts of a SecureApi whose cdk-nag findings its design answers. */
export interface SecureApiNagScope {
  /** The deployment stage. */
  readonly stage: apigw.Stage;
  /** Every method of the REST API. */
  readonly methods: readonly apigw.Method[];
  /** The REQUEST authorizer of the JWT authorizer. */
  readonly requestAuthorizer: apigw.IAuthorizer;
  /** Whether a method was declared public with `addRoute(..., { public: true })`. */
  readonly isPublic: (method: apigw.Method) => boolean;
}

/**
 * Acknowledges the cdk-nag findings inherent to a SecureApi's design, each with the reason a reviewer can
 * check: no response cache on the stage, no client certificate when no backend is reached over HTTP, and no
 * Cognito user pool authorizer on public routes, CORS preflights and methods behind the JWT authorizer.
 * Records acknowledgements only; creates nothing.
 *
 * @param scope the stage, methods and authorizer of the API
 */
export function acknowledgeSecureApiFindings(scope: SecureApiNagScope): void {
  acknowledge(scope.stage, { 'NIST.800.53.R5-APIGWCacheEnabledAndEncrypted': NAG_REASONS.noResponseCache });
  // A client certificate only matters for HTTP backends: SecureApi presents one to them (backendClientCertificate).
  if (!scope.methods.some(isHttpIntegration)) {
    acknowledge(scope.stage, { 'NIST.800.53.R5-APIGWSSLEnabled': NAG_REASONS.noHttpBackends });
  }
  for (const method of scope.methods) {
    const type = authorizationTypeOf(method);
    if (scope.isPublic(method)) {
      Validations.of(method).acknowledge(
        { id: 'AwsSolutions-APIG4', reason: PUBLIC_ROUTE_REASON.apig4 },
        { id: 'AwsSolutions-COG4', reason: PUBLIC_ROUTE_REASON.cog4 },
      );
    } else if (type === apigw.AuthorizationType.NONE && isCorsPreflight(method)) {
      Validations.of(method).acknowledge(
        { id: 'AwsSolutions-APIG4', reason: CORS_PREFLIGHT_REASON },
        { id: 'AwsSolutions-COG4', reason: CORS_PREFLIGHT_REASON },
      );
    } else if (type === apigw.AuthorizationType.CUSTOM && usesAuthorizer(method, scope.requestAuthorizer)) {
      Validations.of(method).acknowledge({ id: 'AwsSolutions-COG4', reason: JWT_AUTHORIZER_REASON });
    }
  }
}

/**
 * Acknowledges the missing web ACL (AwsSolutions-APIG3) of a stage whose owner switched AWS WAF off explicitly.
 *
 * @param stage the stage
 */
export function acknowledgeDisabledWebAcl(stage: apigw.Stage): void {
  Validations.of(stage).acknowledge({
    id: 'AwsSolutions-APIG3',
    reason: "AWS WAF was switched off explicitly with SecureApi's 'disableWebAcl: true' by the API owner; the stage keeps its throttling, authorizer and access logs.",
  });
}
