import { App, CfnParameter, Stack } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { ApiScope, SecureApi, TokenIssuer } from '../../../lib';

describe('ApiScope', () => {
  test('full name joins the resource server identifier and the scope name', () => {
    const scope = ApiScope.of('https://api.example.com', 'items.read', 'Read items');
    expect(scope.fullName).toBe('https://api.example.com/items.read');
    expect(`${scope}`).toBe('https://api.example.com/items.read');
    expect(scope.toOAuthScope().scopeName).toBe('https://api.example.com/items.read');
    expect(scope.toResourceServerScope()).toEqual(expect.objectContaining({ scopeName: 'items.read', scopeDescription: 'Read items' }));
  });

  test.each([
    ['items', 'read items', "'scopeName' must be 1-256 printable ASCII characters without spaces, quotes, backslashes or '/' (received: 'read items')"],
    ['items', 'items/read', "'scopeName' must be 1-256 printable ASCII characters without spaces, quotes, backslashes or '/' (received: 'items/read')"],
    ['my api', 'read', "'resourceServerIdentifier' must be 1-256 printable ASCII characters without spaces, quotes or backslashes (received: 'my api')"],
  ])('throws when %s/%s is not a scope token', (identifier, name, message) => {
    expect(() => ApiScope.of(identifier, name, 'x')).toThrow(message);
  });

  test('throws when the description is empty', () => {
    expect(() => ApiScope.of('items', 'read', '')).toThrow("'description' must be 1-256 characters (received: '')");
  });

  test('throws when the identifier is a deploy-time token', () => {
    const pool = new cognito.UserPool(new Stack(new App(), 'Stack'), 'Pool');
    expect(() => ApiScope.of(pool.userPoolId, 'read', 'Read')).toThrow(
      /^'resourceServerIdentifier' and 'scopeName' must be literal strings, not deploy-time tokens/,
    );
  });
});

describe('SecureApi routes with scopes of other issuers', () => {
  const READ = ApiScope.of('https://api.example.com', 'items.read', 'Read items');

  function oktaApi() {
    const app = new App();
    const stack = new Stack(app, 'Stack', { env: { account: '123456789012', region: 'eu-west-1' } });
    const issuer = TokenIssuer.oidc({ issuerUrl: 'https://acme.okta.example.com/oauth2/default', audiences: ['api://default'], clientIdClaim: 'cid' });
    return { stack, api: new SecureApi(stack, 'Api', { issuers: [issuer] }) };
  }

  test('happy flow: a scope written as the issuer writes it (no resource server prefix) lands in the route table as is', () => {
    const { api } = oktaApi();
    api.addRoute('GET /catalog', new apigw.MockIntegration(), { scopes: ['catalog.read'] });
    api.addRoute('PUT /catalog', new apigw.MockIntegration(), { scopes: ['catalog.write', READ, 'catalog.read'] });
    expect(api.routes().map((route) => route.scopes)).toEqual([['catalog.read'], ['catalog.read', 'catalog.write', 'https://api.example.com/items.read']]);
    const config = JSON.parse(api.authorizer.configJson) as { routes: { method: string; scopes: string[] }[]; issuers: { clientIdClaim?: string }[] };
    expect(config.routes.find((route) => route.method === 'GET')?.scopes).toEqual(['catalog.read']);
    expect(config.issuers[0]!.clientIdClaim).toBe('cid');
  });

  test.each<[string, string, string]>([
    ['a space', 'catalog read', "'scopes[0]' must be an RFC 6749 scope token: 1-1024 printable ASCII characters without spaces, quotes or backslashes (received: 'catalog read')"],
    ['an empty string', '', "'scopes[0]' must be an RFC 6749 scope token: 1-1024 printable ASCII characters without spaces, quotes or backslashes (received: '')"],
    ['a quote', 'catalog"read', `'scopes[0]' must be an RFC 6749 scope token: 1-1024 printable ASCII characters without spaces, quotes or backslashes (received: 'catalog"read')`],
    ['a backslash', 'catalog\\read', "'scopes[0]' must be an RFC 6749 scope token: 1-1024 printable ASCII characters without spaces, quotes or backslashes (received: 'catalog\\read')"],
    ['a non-ASCII letter', 'catalög.read', "'scopes[0]' must be an RFC 6749 scope token: 1-1024 printable ASCII characters without spaces, quotes or backslashes (received: 'catalög.read')"],
    ['a newline', 'catalog.read\n', "'scopes[0]' must be an RFC 6749 scope token: 1-1024 printable ASCII characters without spaces, quotes or backslashes (received: 'catalog.read\n')"],
  ])('throws when a scope string holds %s', (_name, scope, message) => {
    const { api } = oktaApi();
    expect(() => api.addRoute('GET /catalog', new apigw.MockIntegration(), { scopes: [scope] })).toThrow(message);
  });

  test('throws when a scope string is too long, naming its position', () => {
    const { api } = oktaApi();
    expect(() => api.addRoute('GET /catalog', new apigw.MockIntegration(), { scopes: ['catalog.read', 'x'.repeat(1025)] })).toThrow(
      /^Stack\/Api: 'scopes\[1\]' must be an RFC 6749 scope token: 1-1024 printable ASCII characters without spaces, quotes or backslashes \(received: 'x{1025}'\)$/,
    );
  });

  test('throws when a scope string is a deploy-time token', () => {
    const { stack, api } = oktaApi();
    const param = new CfnParameter(stack, 'Scope');
    expect(() => api.addRoute('GET /catalog', new apigw.MockIntegration(), { scopes: [param.valueAsString] })).toThrow(
      /^Stack\/Api: 'scopes\[0\]' must be a literal string, not a deploy-time token \(received: '\$\{Token\[/,
    );
  });
});
