import { App, Duration, Stack } from 'aws-cdk-lib';
import { JwtAuthorizer, SecureApiValidationError, TokenIssuer } from '../../../lib';

function authorizerWithCooldown(keyCooldown: Duration): JwtAuthorizer {
  const stack = new Stack(new App(), 'Stack', { env: { account: '123456789012', region: 'eu-west-1' } });
  return new JwtAuthorizer(stack, 'Jwt', {
    issuers: [TokenIssuer.oidc({ issuerUrl: 'https://login.example.com', audiences: ['https://api.example.com'] })],
    keyCooldown,
  });
}

describe('JwtAuthorizer key cooldown', () => {
  test('throws when the key cooldown is 0: it is the floor of the refetch back-off', () => {
    expect(() => authorizerWithCooldown(Duration.seconds(0))).toThrow(SecureApiValidationError);
    expect(() => authorizerWithCooldown(Duration.seconds(0))).toThrow("'keyCooldown' must be at least 1 seconds (received: 0)");
  });

  test('throws when the key cooldown exceeds one hour', () => {
    expect(() => authorizerWithCooldown(Duration.hours(2))).toThrow("'keyCooldown' must be at most 3600 seconds (received: 7200)");
  });

  test('a cooldown of one second is the shortest accepted', () => {
    expect(() => authorizerWithCooldown(Duration.seconds(1))).not.toThrow();
  });
});
