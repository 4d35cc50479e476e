import { App, Stack, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { AwsSolutionsChecks, NagPack, NIST80053R5Checks, ServerlessChecks } from 'cdk-nag';
import { LogEncryptionKey } from '../../../lib/log-encryption-key';
import { SecureApiMonitoring } from '../../../lib/monitoring/secure-api-monitoring';
import { SecureApiWebAcl } from '../../../lib/waf/secure-api-web-acl';

const ENV = { account: '123456789012', region: 'eu-west-1' };
/** Construct paths of the resources under test; the stand-in API around them is not. */
const OURS = /^WafNagStack\/(WebAcl|Monitoring|LogKey)\//;

interface NagScenario {
  readonly app: App;
  readonly stack: Stack;
}

/**
 * A stack with the web ACL, the monitoring and the log key around a minimal REST API and authorizer
 * function, which stand in for `SecureApi`. `hardened` encrypts every log group with the log key.
 */
function scenario(hardened: boolean): NagScenario {
  const app = new App();
  const stack = new Stack(app, 'WafNagStack', { env: ENV });
  const logKey = hardened ? new LogEncryptionKey(stack, 'LogKey') : undefined;
  const accessLogGroup = new logs.LogGroup(stack, 'AccessLogs', { retention: logs.RetentionDays.ONE_YEAR, encryptionKey: logKey });
  const restApi = new apigw.RestApi(stack, 'Api', {
    cloudWatchRole: false,
    deployOptions: { accessLogDestination: new apigw.LogGroupLogDestination(accessLogGroup) },
  });
  restApi.root.addMethod('GET', new apigw.MockIntegration());
  const authorizerLogGroup = new logs.LogGroup(stack, 'AuthorizerLogs', { retention: logs.RetentionDays.ONE_YEAR, encryptionKey: logKey });
  const authorizerFunction = new lambda.Function(stack, 'Authorizer', {
    runtime: lambda.Runtime.NODEJS_24_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => { throw new Error("Unauthorized"); };'),
    logGroup: authorizerLogGroup,
  });
  const webAcl = new SecureApiWebAcl(stack, 'WebAcl', { logging: { encryptionKey: logKey } });
  webAcl.associate(restApi.deploymentStage);
  new SecureApiMonitoring(stack, 'Monitoring', {
    restApi,
    stage: restApi.deploymentStage,
    authorizerFunction,
    authorizerLogGroup,
    accessLogGroup,
    webAcl,
  });
  return { app, stack };
}

/** Unacknowledged findings of a pack on the resources under test: rule and construct path. */
function findings(app: App, pack: NagPack): string[] {
  app.synth();
  return pack
    .validateScope(app)
    .violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} ${r.constructPath}`))
    .filter((finding) => OURS.test(finding.split(' ')[1]!))
    .sort();
}

describe('cdk-nag over the web acl, the monitoring and the log key', () => {
  test.each([
    ['AwsSolutions', () => new AwsSolutionsChecks()],
    ['Serverless', () => new ServerlessChecks()],
    ['NIST 800-53 R5', () => new NIST80053R5Checks()],
  ])('hardened scenario has no %s finding at all', (_name, pack) => {
    expect(findings(scenario(true).app, pack())).toEqual([]);
  });

  test.each([
    ['AwsSolutions', () => new AwsSolutionsChecks()],
    ['Serverless', () => new ServerlessChecks()],
    ['NIST 800-53 R5', () => new NIST80053R5Checks()],
  ])('default scenario has no unacknowledged %s finding', (_name, pack) => {
    expect(findings(scenario(false).app, pack())).toEqual([]);
  });

  test('the only acknowledgements of the default scenario are the customer-managed key of the waf log group (cdk-nag and Control Tower)', () => {
    const { app } = scenario(false);
    app.synth();
    const acknowledged = app.node.findAll().flatMap((c) => c.node.metadata
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) => Object.entries(m.data as Record<string, string>).map(([rule, reason]) => ({ rule, path: c.node.path, reason }))));
    expect(acknowledged.map((a) => [a.rule.replace(/^annotation::/i, ''), a.path])).toEqual([
      ['NIST.800.53.R5-CloudWatchLogGroupEncrypted', 'WafNagStack/WebAcl/LogGroup'],
      ['cdk-validator-cfnguard::cloudwatch_log_group_encrypted_check', 'WafNagStack/WebAcl/LogGroup'],
    ]);
    // With a customer-managed key there is nothing to acknowledge, and the pack still finds nothing.
    const hardened = scenario(true).app;
    hardened.synth();
    expect(hardened.node.findAll().flatMap((c) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY))).toEqual([]);
  });
});
