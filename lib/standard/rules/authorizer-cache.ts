import { ROUTES_METADATA_KEY } from '../../authorizer/jwt-authorizer';
import { fail, pass, type StandardRule } from '../rule';
import { refersTo, type StackTemplate } from '../template';

/** API Gateway's TTL when an authorizer does not set one. */
const DEFAULT_TTL_SECONDS = 300;

/** Lambda authorizer answers are cached only where a cached answer is right for every request it serves. */
export const authorizerCache: StandardRule = {
  id: 'SecureApi-AuthorizerCache',
  level: 'warning',
  description:
    "A Lambda authorizer's answers are cached only when keyed per route (method and resource path in the identity sources) or when the " +
    'authorizer is one whose policy covers every route exactly (cdk-secure-api’s JwtAuthorizer).',
  explanation:
    'API Gateway caches a Lambda authorizer’s policy per identity source and serves it for every method of the API. A policy written ' +
    'for the first method called then allows or denies the others wrongly: a wildcard Allow opens routes the token may not call.',
  fix: "Use JwtAuthorizer, add context.httpMethod and context.resourcePath to the identity sources, or set resultsCacheTtl to Duration.seconds(0).",
  evaluate(template: StackTemplate) {
    return template.ofType('AWS::ApiGateway::Authorizer').flatMap((authorizer) => {
      const type = authorizer.properties.Type;
      if (type !== 'TOKEN' && type !== 'REQUEST') {
        return [];
      }
      const ttl = authorizer.properties.AuthorizerResultTtlInSeconds ?? DEFAULT_TTL_SECONDS;
      if (ttl === 0) {
        return [pass(authorizer, 'answers are not cached')];
      }
      const sources = JSON.stringify(authorizer.properties.IdentitySource ?? '');
      if (type === 'REQUEST' && sources.includes('context.httpMethod') && sources.includes('context.resourcePath')) {
        return [pass(authorizer, 'answers are cached per method and resource path')];
      }
      const ours = template
        .ofType('AWS::Lambda::Function')
        .some((fn) => fn.metadata[ROUTES_METADATA_KEY] !== undefined && refersTo(authorizer.properties.AuthorizerUri, fn.logicalId));
      return ours
        ? [pass(authorizer, 'a JwtAuthorizer: each cached policy covers every route exactly')]
        : [fail(authorizer, `answers are cached for ${JSON.stringify(ttl)} seconds per token and served for every route`, 'Properties/AuthorizerResultTtlInSeconds')];
    });
  },
};
