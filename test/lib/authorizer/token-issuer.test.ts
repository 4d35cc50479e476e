import { App, Stack } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { SecureApiValidationError, TokenIssuer } from '../../../lib';
import type { ClientIdClaim, JwsAlgorithm, PublicJwk } from '../../../lib';

function stack() {
  return new Stack(new App(), 'Stack', { env: { account: '123456789012', region: 'eu-west-1' } });
}

const RSA_PUBLIC: PublicJwk = { kty: 'RSA', kid: 'k1', n: 'sXch', e: 'AQAB', alg: 'RS256', use: 'sig' };

describe('TokenIssuer', () => {
  test('cognito issuer binds to the pool issuer url and the client ids', () => {
    const scope = stack();
    const userPool = cognito.UserPool.fromUserPoolId(scope, 'Pool', 'eu-west-1_AbCdEf123');
    const issuer = TokenIssuer.cognito({ userPool, clientIds: ['client-a', 'client-b'] });
    expect(scope.resolve(issuer.bind(scope))).toEqual({
      kind: 'cognito',
      issuer: {
        'Fn::Join': ['', ['https://cognito-idp.eu-west-1.', { Ref: 'AWS::URLSuffix' }, '/eu-west-1_AbCdEf123']],
      },
      algorithms: ['RS256'],
      clientIds: ['client-a', 'client-b'],
    });
  });

  test('cognito issuer takes client ids from app clients', () => {
    const scope = stack();
    const userPool = new cognito.UserPool(scope, 'Pool');
    const client = userPool.addClient('Web');
    const config = scope.resolve(TokenIssuer.cognito({ userPool, clients: [client], clientIds: ['external'] }).bind(scope));
    expect(config.clientIds).toEqual([{ Ref: expect.stringMatching(/^PoolWeb/) }, 'external']);
    expect(config.issuer).toEqual({ 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [expect.stringMatching(/^Pool/), 'ProviderName'] }]] });
  });

  test('throws when a cognito issuer names no app client', () => {
    const userPool = cognito.UserPool.fromUserPoolId(stack(), 'Pool', 'eu-west-1_AbCdEf123');
    expect(() => TokenIssuer.cognito({ userPool })).toThrow(
      "'clients' or 'clientIds' must name at least one app client: Cognito access tokens have no 'aud', the client id is the audience check (received: none)",
    );
  });

  test('oidc issuer defaults to discovery and keeps only the settings given', () => {
    const issuer = TokenIssuer.oidc({ issuerUrl: 'https://login.example.com/realms/main', audiences: ['api://items'], requiredTyp: 'at+jwt' });
    expect(issuer.bind(stack())).toEqual({
      kind: 'oidc',
      issuer: 'https://login.example.com/realms/main',
      algorithms: ['RS256'],
      discovery: true,
      audiences: ['api://items'],
      requiredTyp: 'at+jwt',
    });
  });

  test('oidc issuer with static keys and an explicit audience opt-out', () => {
    const issuer = TokenIssuer.oidc({
      issuerUrl: 'http://127.0.0.1:8443',
      audienceCheck: false,
      clientIds: ['svc'],
      keys: [RSA_PUBLIC],
      algorithms: ['RS256', 'ES256'],
    });
    expect(issuer.bind(stack())).toEqual({
      kind: 'oidc',
      issuer: 'http://127.0.0.1:8443',
      algorithms: ['RS256', 'ES256'],
      keys: [RSA_PUBLIC],
      clientIds: ['svc'],
      audienceCheck: false,
    });
  });

  test.each<ClientIdClaim>(['client_id', 'azp', 'cid'])("oidc issuer names its client claim '%s' in the configuration", (clientIdClaim) => {
    const issuer = TokenIssuer.oidc({ issuerUrl: 'https://login.example.com', audiences: ['api://orders'], clientIdClaim });
    expect(issuer.bind(stack())).toMatchObject({ clientIdClaim });
  });

  test('oidc issuer leaves the client claim to the runtime default when none is given', () => {
    expect(TokenIssuer.oidc({ issuerUrl: 'https://login.example.com', audiences: ['a'] }).bind(stack())).not.toHaveProperty('clientIdClaim');
  });

  test('bind returns a fresh copy each time', () => {
    const issuer = TokenIssuer.oidc({ issuerUrl: 'https://login.example.com', audiences: ['a'] });
    const first = issuer.bind(stack());
    (first.audiences as string[]).push('tampered');
    expect(issuer.bind(stack()).audiences).toEqual(['a']);
  });

  test.each([
    [{ issuerUrl: 'http://login.example.com', audiences: ['a'] }, "'issuerUrl' must be an https URL without credentials, query or fragment (http only for loopback hosts) (received: 'http://login.example.com')"],
    [{ issuerUrl: 'https://login.example.com?tenant=1', audiences: ['a'] }, "'issuerUrl' must be an https URL without credentials, query or fragment (http only for loopback hosts) (received: 'https://login.example.com?tenant=1')"],
    [{ issuerUrl: 'https://login.example.com' }, "'audiences' must name at least one audience, or 'audienceCheck' must be false to switch the check off explicitly (received: none)"],
    [{ issuerUrl: 'https://login.example.com', audienceCheck: false, audiences: ['a'] }, `'audiences' must be empty when 'audienceCheck' is false (received: ["a"])`],
    [{ issuerUrl: 'https://login.example.com', audiences: ['a'], jwksUri: 'https://login.example.com/jwks', discovery: true }, `'jwksUri', 'discovery' and 'keys' are alternatives: set at most one (received: ["jwksUri","discovery"])`],
    [{ issuerUrl: 'https://login.example.com', audiences: ['a'], discovery: false }, "'discovery' may be false only when 'jwksUri' or 'keys' provides the keys (received: false)"],
    [{ issuerUrl: 'https://login.example.com', audiences: ['a'], jwksUri: 'https://user:pw@login.example.com/jwks' }, "'jwksUri' must be an https URL without credentials or fragment (http only for loopback hosts) (received: 'https://user:pw@login.example.com/jwks')"],
    [{ issuerUrl: 'https://login.example.com', audiences: ['a'], keys: [] }, "'keys' must hold at least one public JWK (received: [])"],
    [{ issuerUrl: 'https://login.example.com', audiences: ['a'], keys: [{ kty: 'oct', kid: 'k', k: 'c2VjcmV0' }] }, "'keys' must hold public JWKs with 'kty' RSA, EC or OKP (received: 'oct')"],
    [{ issuerUrl: 'https://login.example.com', audiences: ['a'], keys: [{ ...RSA_PUBLIC, kid: undefined }] }, "'keys' must hold JWKs with a non-empty 'kid' (received: undefined)"],
    [{ issuerUrl: 'https://login.example.com', audiences: ['a'], keys: [{ ...RSA_PUBLIC, d: 'private' }] }, `'keys' must hold public keys only: a JWK carries private members (received: ["d"] in kid 'k1')`],
    [{ issuerUrl: 'https://login.example.com', audiences: ['a'], requiredTyp: 'at jwt' }, "'requiredTyp' must be a media type such as 'at+jwt' (received: 'at jwt')"],
    [{ issuerUrl: 'https://login.example.com', audiences: [' '] }, `'audiences' must not contain empty values (received: [" "])`],
    [{ issuerUrl: 'https://login.example.com', audiences: ['a'], clientIdClaim: 'appid' as ClientIdClaim }, "'clientIdClaim' must be one of client_id, azp, cid (received: 'appid')"],
  ])('throws when an oidc issuer is misconfigured: %j', (options, message) => {
    expect(() => TokenIssuer.oidc(options)).toThrow(message);
  });

  test.each([[['none']], [['HS256']], [[]]])('throws when the algorithms are %j', (algorithms) => {
    const make = () => TokenIssuer.oidc({ issuerUrl: 'https://login.example.com', audiences: ['a'], algorithms: algorithms as JwsAlgorithm[] });
    expect(make).toThrow(SecureApiValidationError);
    expect(make).toThrow(
      `'algorithms' must be a non-empty list of RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA: never 'none' or HMAC (received: ${JSON.stringify(algorithms)})`,
    );
  });

  test('validation errors carry a stable code', () => {
    try {
      TokenIssuer.oidc({ issuerUrl: 'ftp://login.example.com', audiences: ['a'] });
      throw new Error('expected a validation error');
    } catch (error) {
      expect(error).toBeInstanceOf(SecureApiValidationError);
      expect((error as SecureApiValidationError).code).toBe('ERR_SECURE_API_VALIDATION');
      expect(SecureApiValidationError.code).toBe('ERR_SECURE_API_VALIDATION');
    }
  });
});
