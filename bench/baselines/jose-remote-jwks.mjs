// Baseline (d): the plain jose authorizer, `jwtVerify` with `createRemoteJWKSet` (global fetch).
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { allowPolicy, bearerToken, hasScope, readConfig } from './common.mjs';

const config = readConfig();
const jwks = createRemoteJWKSet(new URL(config.jwksUri), { timeoutDuration: 1500 });

/**
 * API Gateway Lambda authorizer.
 * @param {{ authorizationToken?: string, methodArn: string }} event
 */
export async function handler(event) {
  let claims;
  try {
    ({ payload: claims } = await jwtVerify(bearerToken(event), jwks, {
      issuer: config.issuer,
      algorithms: ['RS256'],
      requiredClaims: ['exp', 'iat', 'sub'],
    }));
    if (claims.token_use !== 'access' || claims.client_id !== config.clientId || !hasScope(claims.scope, config.scope)) {
      throw new Error('claims');
    }
  } catch {
    throw new Error('Unauthorized');
  }
  return allowPolicy(claims, event.methodArn);
}
