// Baseline (a): an authorizer on aws-jwt-verify, the library AWS publishes for Cognito tokens.
import { request } from 'node:http';
import { CognitoJwtVerifier } from 'aws-jwt-verify';
import { SimpleFetcher } from 'aws-jwt-verify/https';
import { SimpleJwksCache } from 'aws-jwt-verify/jwk';
import { allowPolicy, bearerToken, readConfig } from './common.mjs';

const config = readConfig();

/**
 * aws-jwt-verify derives the JWKS URI from the user pool id (`https://cognito-idp...`). Over https its
 * own fetcher runs unchanged, pointed at the local server by the request options it documents; its
 * fetcher speaks https only, so an http bench run needs this equivalent over node:http.
 */
const loopbackHttpFetcher = {
  fetch: (uri) =>
    new Promise((resolve, reject) => {
      const { pathname } = new URL(uri);
      const req = request({ ...config.jwksOrigin, protocol: 'http:', path: pathname, timeout: 1500 }, (response) => {
        const chunks = [];
        response.on('data', (chunk) => chunks.push(chunk));
        response.on('end', () => {
          const body = Buffer.concat(chunks);
          resolve(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength));
        });
        response.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error('JWKS fetch timed out')));
      req.on('error', reject);
      req.end();
    }),
};

const fetcher =
  config.jwksOrigin.protocol === 'https:'
    ? new SimpleFetcher({ defaultRequestOptions: { hostname: config.jwksOrigin.hostname, port: config.jwksOrigin.port } })
    : loopbackHttpFetcher;

const verifier = CognitoJwtVerifier.create(
  { userPoolId: config.userPoolId, tokenUse: 'access', clientId: config.clientId, scope: config.scope },
  { jwksCache: new SimpleJwksCache({ fetcher }) },
);

/**
 * API Gateway Lambda authorizer.
 * @param {{ authorizationToken?: string, methodArn: string }} event
 */
export async function handler(event) {
  let claims;
  try {
    claims = await verifier.verify(bearerToken(event));
  } catch {
    throw new Error('Unauthorized');
  }
  return allowPolicy(claims, event.methodArn);
}
