// Baseline (b): the classic authorizer on jsonwebtoken + jwks-rsa, as most samples and tutorials write it.
import jwt from 'jsonwebtoken';
import jwksClient from 'jwks-rsa';
import { allowPolicy, bearerToken, hasScope, readConfig } from './common.mjs';

const config = readConfig();
const client = jwksClient({ jwksUri: config.jwksUri, cache: true, rateLimit: true, jwksRequestsPerMinute: 10, timeout: 1500 });

/**
 * API Gateway Lambda authorizer.
 * @param {{ authorizationToken?: string, methodArn: string }} event
 */
export async function handler(event) {
  let claims;
  try {
    const token = bearerToken(event);
    const decoded = jwt.decode(token, { complete: true });
    if (!decoded || typeof decoded.header.kid !== 'string') throw new Error('no kid');
    const key = await client.getSigningKey(decoded.header.kid);
    claims = jwt.verify(token, key.getPublicKey(), { algorithms: ['RS256'], issuer: config.issuer });
    if (claims.token_use !== 'access' || claims.client_id !== config.clientId || !hasScope(claims.scope, config.scope)) {
      throw new Error('claims');
    }
  } catch {
    throw new Error('Unauthorized');
  }
  return allowPolicy(claims, event.methodArn);
}
