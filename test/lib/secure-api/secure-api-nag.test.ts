import { App, Stack, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { AwsSolutionsChecks, NagPack, ServerlessChecks } from 'cdk-nag';
import { ApiScope, SecureApi, SecureApiProps, TokenIssuer } from '../../../lib';

function findings(app: App, pack: NagPack): string[] {
  return pack
    .validateScope(app)
    .violations.flatMap((violation) => violation.violatingResources.map((resource) => `${violation.ruleName} ${resource.constructPath}`))
    .filter((finding) => finding.includes('/Api/') || finding.includes('/SecureApiGatewayAccount/'))
    .sort();
}

function build(props: Partial<SecureApiProps> = {}) {
  const app = new App();
  const stack = new Stack(app, 'Stack', { env: { account: '123456789012', region: 'eu-west-1' } });
  const userPool = new cognito.UserPool(stack, 'Pool');
  const api = new SecureApi(stack, 'Api', { issuers: [TokenIssuer.cognito({ userPool, clientIds: ['client'] })], ...props });
  api.addRoute('GET /items', new apigw.MockIntegration(), { scopes: [ApiScope.of('https://api.example.com', 'items.read', 'Read items')] });
  api.addRoute('GET /health', new apigw.MockIntegration(), { public: true });
  // A method added on the rest api directly, declared in the route table as every protected method must be.
  api.restApi.root.addResource('direct').addMethod('GET', new apigw.MockIntegration());
  api.authorizer.addRoute({ method: 'GET', path: '/direct', scopes: ['https://api.example.com/items.read'] });
  app.synth();
  return app;
}

describe('SecureApi and cdk-nag', () => {
  test.each([
    ['default secure api', {}],
    ['secure api with cors and the account role', { cors: { allowOrigins: ['https://app.example.com'] }, apiGatewayAccount: 'create' as const }],
  ])('%s has no unacknowledged finding', (_name, props) => {
    const app = build(props);
    expect([...findings(app, new AwsSolutionsChecks()), ...findings(app, new ServerlessChecks())]).toEqual([]);
  });

  test('without a web acl the waf finding is acknowledged with the name of the opt-out prop', () => {
    const app = build({ disableWebAcl: true });
    expect(findings(app, new AwsSolutionsChecks())).toEqual([]);
    const acknowledged = app.node
      .findAll()
      .flatMap((construct) => construct.node.metadata.filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY))
      .map((entry) => entry.data as Record<string, string>);
    const reason = acknowledged.find((data) => 'Annotation::AwsSolutions-APIG3' in data)?.['Annotation::AwsSolutions-APIG3'];
    expect(reason).toContain("'disableWebAcl: true'");
  });

  test('without tracing the x-ray acknowledgement is not recorded', () => {
    const app = build({ authorizerOptions: { tracing: false } });
    const acknowledged = app.node
      .findAll()
      .flatMap((construct) => construct.node.metadata.filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY))
      .flatMap((entry) => Object.keys(entry.data as object));
    expect(acknowledged).not.toContain('AwsSolutions-IAM5[Resource::*]');
    expect(findings(app, new ServerlessChecks())).toEqual(['Serverless-LambdaTracing Stack/Api/JwtAuthorizer/Function/Resource']);
  });
});
