import { App, Stack } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { ApiScope, JwtAuthorizer, SecureApi, SecureApiProps, TokenIssuer } from '../../lib';

const ISSUER = TokenIssuer.oidc({ issuerUrl: 'https://issuer.example.com', audiences: ['api'] });

function build(props: Partial<SecureApiProps> = {}) {
  const app = new App();
  const stack = new Stack(app, 'Stack', { env: { account: '123456789012', region: 'eu-west-1' } });
  const api = new SecureApi(stack, 'Api', { issuers: [ISSUER], ...props });
  api.addRoute('GET /items', new apigw.MockIntegration(), { scopes: [ApiScope.of('https://api.example.com', 'items.read', 'Read items')] });
  return { app, stack };
}

function authorizerRuntime(stack: Stack): unknown {
  const functions = Template.fromStack(stack).findResources('AWS::Lambda::Function');
  const authorizer = Object.entries(functions).find(([logicalId]) => logicalId.includes('JwtAuthorizer'));
  return (authorizer?.[1] as { Properties: { Runtime?: unknown } } | undefined)?.Properties.Runtime;
}

function latestRuntimeFindings(app: App): string[] {
  return [new AwsSolutionsChecks(), new ServerlessChecks()]
    .flatMap((pack) => pack.validateScope(app).violations)
    .filter((violation) => /AwsSolutions-L1|Serverless-LambdaLatestVersion/.test(violation.ruleName))
    .flatMap((violation) => violation.violatingResources.map((resource) => `${violation.ruleName} ${resource.constructPath}`));
}

describe('authorizer runtime', () => {
  const known = [...lambda.Runtime.ALL];
  afterEach(() => {
    // A test that stands in for a newer aws-cdk-lib adds a runtime: take it out again.
    lambda.Runtime.ALL.splice(0, lambda.Runtime.ALL.length, ...known);
  });

  test('default secure api runs its authorizer on the newest node.js runtime the installed aws-cdk-lib knows', () => {
    const majors = lambda.Runtime.ALL.map((runtime) => /^nodejs(\d+)\.x$/.exec(runtime.name)?.[1]).filter((major) => major !== undefined).map(Number);
    const { stack } = build();
    expect(authorizerRuntime(stack)).toBe(`nodejs${Math.max(...majors)}.x`);
  });

  test('a runtime added by a newer aws-cdk-lib becomes the default and keeps the latest-runtime nag rules clean', () => {
    // What aws-cdk-lib does when it learns a runtime: a new static Runtime, which lands in Runtime.ALL.
    new lambda.Runtime('nodejs26.x', lambda.RuntimeFamily.NODEJS, { supportsInlineCode: true });
    const { app, stack } = build();
    expect(authorizerRuntime(stack)).toBe('nodejs26.x');
    expect(latestRuntimeFindings(app)).toEqual([]);
  });

  test('secure api with a runtime passes it to the authorizer function', () => {
    const { stack } = build({ authorizerOptions: { runtime: lambda.Runtime.NODEJS_22_X } });
    expect(authorizerRuntime(stack)).toBe('nodejs22.x');
  });

  test('throws when the runtime is not node.js', () => {
    const stack = new Stack(new App(), 'Stack');
    expect(() => new JwtAuthorizer(stack, 'Authorizer', { issuers: [ISSUER], runtime: lambda.Runtime.PYTHON_3_13 })).toThrow(
      "'runtime' must be a Node.js runtime of version 20 or later, as the authorizer's bundle is built for Node.js 20 (received: 'python3.13')",
    );
  });

  test('throws when the runtime is older than node.js 20', () => {
    const stack = new Stack(new App(), 'Stack');
    expect(() => new JwtAuthorizer(stack, 'Authorizer', { issuers: [ISSUER], runtime: lambda.Runtime.NODEJS_18_X })).toThrow(
      "'runtime' must be a Node.js runtime of version 20 or later, as the authorizer's bundle is built for Node.js 20 (received: 'nodejs18.x')",
    );
  });
});
