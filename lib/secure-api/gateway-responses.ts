import * as apigw from 'aws-cdk-lib/aws-apigateway';
import { SECURE_API_DEFAULTS } from '../defaults';

/**
 * Replaces API Gateway's default error responses with RFC 6750 answers: a JSON body with the request id,
 * `WWW-Authenticate` on 401 and 403, no-store and HSTS headers, and the CORS headers when CORS is on, so a
 * browser script can read why a call failed.
 *
 * @param restApi the REST API
 * @param cors the validated CORS options, if any
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3.1
 */
export function addGatewayResponses(restApi: apigw.RestApi, cors: apigw.CorsOptions | undefined): void {
  const headers: Record<string, string> = {
    'Cache-Control': "'no-store'",
    'X-Content-Type-Options': "'nosniff'",
    'Strict-Transport-Security': `'max-age=${SECURE_API_DEFAULTS.hstsMaxAge.toSeconds()}; includeSubDomains'`,
  };
  if (cors !== undefined) {
    // Gateway responses take static headers only; with several origins the first one is sent, as CDK's preflight does by default.
    headers['Access-Control-Allow-Origin'] = `'${cors.allowOrigins[0]}'`;
    if (cors.allowOrigins[0] !== '*') {
      headers.Vary = "'Origin'";
    }
    if (cors.allowCredentials === true) {
      headers['Access-Control-Allow-Credentials'] = "'true'";
    }
    headers['Access-Control-Expose-Headers'] = `'${['WWW-Authenticate', ...(cors.exposeHeaders ?? [])].join(',')}'`;
  }
  const body = (message: string) => ({
    'application/json': `{"message":${message},"requestId":"$context.requestId"}`,
  });
  const responses: Array<{ type: apigw.ResponseType; statusCode?: string; message: string; wwwAuthenticate?: string }> = [
    // RFC 6750 §3.1: a missing, expired or invalid token. API Gateway answers a missing Authorization header
    // with this type too, without calling the authorizer, so the two cannot be told apart here.
    { type: apigw.ResponseType.UNAUTHORIZED, statusCode: '401', message: '"Unauthorized"', wwwAuthenticate: 'Bearer error="invalid_token"' },
    // RFC 6750 §3.1: a valid token without the scopes (or claims) the route requires.
    { type: apigw.ResponseType.ACCESS_DENIED, statusCode: '403', message: '"Forbidden"', wwwAuthenticate: 'Bearer error="insufficient_scope"' },
    // With no IAM-authorized methods, API Gateway uses this type only for a path or method the API does not
    // have: a 404, not an invitation to authenticate (RFC 6750 §3.1 does not apply), and never API Gateway's
    // own message, which can quote a hash of the Authorization header.
    { type: apigw.ResponseType.MISSING_AUTHENTICATION_TOKEN, statusCode: '404', message: '"Not Found"' },
    { type: apigw.ResponseType.THROTTLED, statusCode: '429', message: '"Too Many Requests"' },
    { type: apigw.ResponseType.QUOTA_EXCEEDED, statusCode: '429', message: '"Too Many Requests"' },
    { type: apigw.ResponseType.DEFAULT_4XX, message: '$context.error.messageString' },
    { type: apigw.ResponseType.DEFAULT_5XX, message: '"Internal server error"' },
  ];
  for (const response of responses) {
    restApi.addGatewayResponse(`GatewayResponse${response.type.responseType}`, {
      type: response.type,
      statusCode: response.statusCode,
      responseHeaders: {
        ...headers,
        ...(response.wwwAuthenticate !== undefined ? { 'WWW-Authenticate': `'${response.wwwAuthenticate}'` } : {}),
      },
      templates: body(response.message),
    });
  }
}
