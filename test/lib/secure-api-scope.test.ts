import { App, Stack } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { ApiScope } from '../../lib';

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
