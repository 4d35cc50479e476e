import { App, Stack } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { AwsSolutionsChecks, NagPack, ServerlessChecks } from 'cdk-nag';
import { ApiScope, SecureApi, TokenIssuer } from '../../lib';

function findings(app: App, pack: NagPack): string[] {
  return pack
    .validateScope(app)
    .violations.flatMap((violation) => violation.violatingResources.map((resource) => `${violation.ruleName} ${resource.constructPath}`))
    .sort();
}

test('probe', () => {
  const app = new App();
  const stack = new Stack(app, 'Stack', { env: { account: '123456789012', region: 'eu-west-1' } });
  const userPool = new cognito.UserPool(stack, 'Pool');
  const api = new SecureApi(stack, 'Api', { issuers: [TokenIssuer.cognito({ userPool, clientIds: ['c'] })], cors: { allowOrigins: ['https://a.example.com'] }, apiGatewayAccount: 'create', });
  api.addRoute('GET /items', new apigw.MockIntegration(), { scopes: [ApiScope.of('a', 'b', 'c')] });
  api.addRoute('GET /health', new apigw.MockIntegration(), { public: true });
  app.synth();
  console.log([...findings(app, new AwsSolutionsChecks()), ...findings(app, new ServerlessChecks())].filter((f) => !f.includes('/Pool')).join('\n'));
});
