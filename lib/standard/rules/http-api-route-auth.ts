import { publicDeclaration } from '../declarations';
import { fail, pass, type StandardRule } from '../rule';
import type { StackTemplate } from '../template';

const AUTHORIZED = new Set(['JWT', 'CUSTOM', 'AWS_IAM']);

/** Every HTTP API route, and every WebSocket API's `$connect`, requires a caller identity. */
export const httpApiRouteAuth: StandardRule = {
  id: 'SecureApi-HttpApiRouteAuth',
  level: 'error',
  description: "Every HTTP API route (and every WebSocket API's $connect route) has a JWT, Lambda or IAM authorizer.",
  explanation:
    'An HTTP API route without an authorizer is open to anyone; HTTP APIs have no resource policy and, in the same account, no WAF, ' +
    'so the route itself is the only place a caller can be checked. A WebSocket API authorizes once, on $connect.',
  fix: 'Give the route a JWT authorizer (HttpJwtAuthorizer) with authorization scopes, a Lambda authorizer or IAM; declare a deliberately public route with declarePublic(route, reason).',
  evaluate(template: StackTemplate) {
    return template.ofType('AWS::ApiGatewayV2::Route').flatMap((route) => {
      const api = template.referenced(route.properties.ApiId);
      const routeKey = route.properties.RouteKey;
      // Only $connect of a WebSocket API can carry an authorizer; its other routes ride on that connection.
      if (api?.properties.ProtocolType === 'WEBSOCKET' && routeKey !== '$connect') {
        return [];
      }
      const type = route.properties.AuthorizationType ?? 'NONE';
      if (typeof type === 'string' && AUTHORIZED.has(type)) {
        return [pass(route, `${String(routeKey)} is authorized by ${type}`)];
      }
      const reason = publicDeclaration(route);
      if (reason !== undefined) {
        return [pass(route, `${String(routeKey)} is declared public: ${reason}`)];
      }
      return [fail(route, `${String(routeKey)} has AuthorizationType ${JSON.stringify(type)} and is not declared public`, 'Properties/AuthorizationType')];
    });
  },
};
