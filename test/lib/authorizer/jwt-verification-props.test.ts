import { App, Duration, Stack } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import { JwtAuthorizer, JwtAuthorizerProps, SECURE_API_DEFAULTS, SecureApi, TokenIssuer } from '../../../lib';

const issuer = () => TokenIssuer.oidc({ issuerUrl: 'https://login.example.com', audiences: ['api://items'] });

function authorizer(props: JwtAuthorizerProps = {}) {
  const stack = new Stack(new App(), 'Stack', { env: { account: '123456789012', region: 'eu-west-1' } });
  const jwt = new JwtAuthorizer(stack, 'Jwt', { issuers: [issuer()], ...props });
  jwt.addRoute({ method: 'GET', path: '/items', scopes: ['items.read'] });
  return jwt;
}

describe('JwtAuthorizer token lifetime', () => {
  test('default jwt authorizer caps the token lifetime at one day', () => {
    expect(SECURE_API_DEFAULTS.authorizer.maxTokenLifetime.toSeconds()).toBe(86_400);
    expect(JSON.parse(authorizer().configJson).maxTokenLifetimeSeconds).toBe(SECURE_API_DEFAULTS.authorizer.maxTokenLifetime.toSeconds());
  });

  test('jwt authorizer with maxTokenLifetime specified', () => {
    expect(JSON.parse(authorizer({ maxTokenLifetime: Duration.hours(1) }).configJson).maxTokenLifetimeSeconds).toBe(3600);
  });

  test('secure api passes maxTokenLifetime to its authorizer', () => {
    const stack = new Stack(new App(), 'Stack', { env: { account: '123456789012', region: 'eu-west-1' } });
    const api = new SecureApi(stack, 'Api', { issuers: [issuer()], authorizerOptions: { maxTokenLifetime: Duration.minutes(90) } });
    api.addRoute('GET /items', new apigw.MockIntegration(), { scopes: ['items.read'] });
    expect(JSON.parse(api.authorizer.configJson).maxTokenLifetimeSeconds).toBe(5400);
  });

  test.each<[string, Duration, string]>([
    ['zero', Duration.seconds(0), "'maxTokenLifetime' must be at least 1 seconds (received: 0)"],
    ['over one year', Duration.days(366), "'maxTokenLifetime' must be at most 31536000 seconds (received: 31622400)"],
    ['not whole seconds', Duration.millis(1500), "'maxTokenLifetime' must be a whole number of seconds (received: 1.5)"],
  ])('throws when maxTokenLifetime is %s', (_name, maxTokenLifetime, message) => {
    expect(() => authorizer({ maxTokenLifetime })).toThrow(message);
  });
});
