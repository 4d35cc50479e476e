import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { verifyCognitoToken } from '../../../../lib/cli/serve/cognito-authorizer';

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
const POOL = { issuer: 'http://127.0.0.1:1/.secure-api-local', kid: 'local-1', publicKey };
const NOW = 1_800_000_000;

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
function jws(claims: Record<string, unknown>, header: Record<string, unknown> = { alg: 'RS256', kid: 'local-1' }, key: KeyObject = privateKey): string {
  const input = `${b64(header)}.${b64(claims)}`;
  return `${input}.${sign('sha256', Buffer.from(input), key).toString('base64url')}`;
}
const access = (extra: Record<string, unknown> = {}) => ({ iss: POOL.issuer, sub: 'alice', token_use: 'access', client_id: 'c', scope: 'orders/read profile', exp: NOW + 300, ...extra });
const id = (extra: Record<string, unknown> = {}) => ({ iss: POOL.issuer, sub: 'alice', token_use: 'id', aud: 'c', exp: NOW + 300, ...extra });

describe('verifyCognitoToken', () => {
  test('happy flow: an access token with one of the scopes, with or without a Bearer prefix, and an ID token where no scope is needed', () => {
    expect(verifyCognitoToken(jws(access()), POOL, ['orders/write', 'orders/read'], NOW)).toEqual({ claims: access() });
    expect(verifyCognitoToken(`Bearer ${jws(access())}`, POOL, ['orders/read'], NOW)).toEqual({ claims: access() });
    expect(verifyCognitoToken(jws(id()), POOL, [], NOW)).toEqual({ claims: id() });
    expect(verifyCognitoToken(jws(access()), POOL, [], NOW)).toEqual({ claims: access() });
  });

  test.each<[string, string, readonly string[], string]>([
    ['not a JWS', 'not-a-token', [], 'malformed'],
    ['the Basic scheme', `Basic ${jws(access())}`, [], 'malformed'],
    ['alg none', `${b64({ alg: 'none', kid: 'local-1' })}.${b64(access())}.`, [], 'malformed'],
    ['HS256', jws(access(), { alg: 'HS256', kid: 'local-1' }), [], 'signature'],
    ['another key', jws(access(), undefined, stranger), [], 'signature'],
    ['an unknown kid', jws(access(), { alg: 'RS256', kid: 'local-2' }), [], 'signature'],
    ['another issuer', jws(access({ iss: `${POOL.issuer}-evil` })), [], 'issuer'],
    ['expired', jws(access({ exp: NOW })), [], 'expired'],
    ['not yet valid', jws(access({ nbf: NOW + 60 })), [], 'expired'],
    ['no token_use', jws(access({ token_use: undefined })), [], 'token_use'],
    ['an ID token where a scope is needed', jws(id()), ['orders/read'], 'scopes'],
    ['an access token without the scope', jws(access()), ['orders/write'], 'scopes'],
  ])('error flow: %s', (_name, token, scopes, refusal) => {
    expect(verifyCognitoToken(token, POOL, scopes, NOW)).toEqual({ refusal });
  });
});
