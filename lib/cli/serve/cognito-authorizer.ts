/**
 * API Gateway's `COGNITO_USER_POOLS` authorizer, for a local stage: the token of the identity source (with
 * or without a `Bearer` prefix) must be an RS256 JWS of the user pool (here, the local issuer: its key,
 * its `iss`), unexpired, with `token_use` `access` or `id`. A method with authorization scopes takes only an
 * access token holding at least one of them; a method without scopes also takes an ID token, as API Gateway
 * does. Any failure is a 401.
 *
 * @see https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-integrate-with-cognito.html
 * @see https://docs.aws.amazon.com/cognito/latest/developerguide/amazon-cognito-user-pools-using-tokens-verifying-a-jwt.html
 */
import { type KeyObject, verify } from 'node:crypto';

/** The user pool a local stage stands in for. */
export interface LocalUserPool {
  /** `iss` of its tokens. */
  readonly issuer: string;
  /** The `kid` and public key of its signing key. */
  readonly kid: string;
  readonly publicKey: KeyObject;
}

/** Why a token is refused, for the access log (never shown to the client, never holding the token). */
export type CognitoRefusal = 'malformed' | 'signature' | 'issuer' | 'expired' | 'token_use' | 'scopes';

/** The verdict on a token: its claims, or why it is refused. */
export type CognitoVerdict = { readonly claims: Readonly<Record<string, unknown>> } | { readonly refusal: CognitoRefusal };

const JWS = /^([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)$/;

function decodeJson(part: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Verifies a token as a Cognito user pool authorizer does.
 * @param value the identity source's value
 * @param pool the user pool
 * @param scopes the method's authorization scopes
 * @param now epoch seconds
 */
export function verifyCognitoToken(value: string, pool: LocalUserPool, scopes: readonly string[], now: number): CognitoVerdict {
  const token = value.replace(/^Bearer /, '');
  const parts = JWS.exec(token);
  const header = parts === null ? undefined : decodeJson(parts[1]!);
  const claims = parts === null ? undefined : decodeJson(parts[2]!);
  if (parts === null || header === undefined || claims === undefined) return { refusal: 'malformed' };
  if (header.alg !== 'RS256' || header.kid !== pool.kid || !verify('sha256', Buffer.from(`${parts[1]}.${parts[2]}`), pool.publicKey, Buffer.from(parts[3]!, 'base64url'))) {
    return { refusal: 'signature' };
  }
  if (claims.iss !== pool.issuer) return { refusal: 'issuer' };
  if (typeof claims.exp !== 'number' || claims.exp <= now || (claims.nbf !== undefined && !(typeof claims.nbf === 'number' && claims.nbf <= now))) return { refusal: 'expired' };
  if (claims.token_use !== 'access' && claims.token_use !== 'id') return { refusal: 'token_use' };
  if (scopes.length > 0) {
    const held = typeof claims.scope === 'string' ? claims.scope.split(' ') : [];
    if (claims.token_use !== 'access' || !scopes.some((scope) => held.includes(scope))) return { refusal: 'scopes' };
  }
  return { claims };
}
