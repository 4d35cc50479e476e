// What the three baseline authorizers share, so they differ only in the library that verifies the token.

/**
 * The baselines' configuration, from `BENCH_BASELINE_CONFIG` (written by bench/lib/fixtures.mjs).
 * @returns {{ userPoolId: string, issuer: string, clientId: string, scope: string, jwksUri: string,
 *   jwksOrigin: { protocol: string, hostname: string, port: number } }}
 */
export function readConfig() {
  return JSON.parse(process.env.BENCH_BASELINE_CONFIG);
}

/**
 * The bearer token of an API Gateway TOKEN event.
 * @param {{ authorizationToken?: unknown }} event
 * @returns {string}
 */
export function bearerToken(event) {
  const header = event?.authorizationToken;
  if (typeof header !== 'string' || !header.startsWith('Bearer ')) throw new Error('Unauthorized');
  return header.slice('Bearer '.length);
}

/**
 * Whether a space-separated `scope` claim holds a scope.
 * @param {unknown} scopeClaim
 * @param {string} scope
 * @returns {boolean}
 */
export function hasScope(scopeClaim, scope) {
  return typeof scopeClaim === 'string' && scopeClaim.split(' ').includes(scope);
}

/**
 * The answer API Gateway expects: allow this method ARN, pass identity to the backend.
 * @param {{ sub: string, client_id: string, scope: string }} claims verified claims
 * @param {string} methodArn
 */
export function allowPolicy(claims, methodArn) {
  return {
    principalId: claims.sub,
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: methodArn }],
    },
    context: { sub: claims.sub, clientId: claims.client_id, scopes: claims.scope },
  };
}
