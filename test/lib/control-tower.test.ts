/**
 * AWS Control Tower's proactive controls, as AWS publishes them for cfn-guard (`@cdklabs/cdk-validator-cfnguard`,
 * with its own cfn-guard binary), run through CDK policy validation over the demo and every public scenario,
 * the way an account that enables them would refuse a template at deploy time.
 *
 * Two readings of each template: through CDK (acknowledged findings left out, as `cdk synth` reports them) and
 * raw (the plugin alone over the template, every finding), so the test shows both that nothing is left
 * unanswered and exactly which controls a configuration meets without an acknowledgement.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, Aspects, Stack, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Template } from 'aws-cdk-lib/assertions';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import { ApiScope } from '../../lib/authorizer/api-scope';
import { TokenIssuer } from '../../lib/authorizer/token-issuer';
import { SecureApiStack } from '../../lib/demo/secure-api-stack';
import { LogEncryptionKey } from '../../lib/log-encryption-key';
import { ServiceInvokeSourceAccount } from '../../lib/secure-api/invoke-permissions';
import { SecureApi } from '../../lib/secure-api/secure-api';
import { ENV, SCENARIOS } from './scenarios';

const GUARD_PLUGIN = 'cdk-validator-cfnguard';

interface ReportedViolation {
  readonly ruleName: string;
  readonly violatingConstructs?: ReadonlyArray<{ readonly constructPath?: string }>;
}

/** Synthesizes the app with the Control Tower rules registered and returns the findings CDK reports: `rule path`. */
function reported(app: App): string[] {
  Validations.of(app).addPlugins(new CfnGuardValidator());
  let reportFile: string;
  // CDK prints a failed validation's report to stderr; the test reads it from the file instead.
  const quiet = jest.spyOn(console, 'error').mockImplementation(() => undefined);
  try {
    reportFile = path.join(app.synth().directory, 'validation-report.json');
  } catch (error) {
    const found = /found in: (\S+)/.exec(String(error));
    if (found === null) {
      throw error;
    }
    reportFile = found[1]!;
  } finally {
    quiet.mockRestore();
  }
  if (!fs.existsSync(reportFile)) {
    return [];
  }
  const report = JSON.parse(fs.readFileSync(reportFile, 'utf8')) as { pluginReports?: { pluginName: string; violations?: ReportedViolation[] }[] };
  return (report.pluginReports ?? [])
    .filter((plugin) => plugin.pluginName.startsWith(GUARD_PLUGIN))
    .flatMap((plugin) => plugin.violations ?? [])
    .flatMap((violation) => (violation.violatingConstructs ?? []).map((construct) => `${violation.ruleName} ${construct.constructPath ?? ''}`))
    .sort();
}

/** Every Control Tower finding over the stack's template, acknowledged or not: `rule logicalId`. */
function raw(stack: Stack): string[] {
  const assembly = (stack.node.root as App).synth();
  const templateFile = path.join(assembly.directory, stack.templateFile);
  const result = new CfnGuardValidator().validate({ templatePaths: [templateFile], appConstruct: stack.node.root as App });
  return result.violations.flatMap((violation) => violation.violatingResources.map((resource) => `${violation.ruleName} ${resource.resourceLogicalId}`)).sort();
}

/** The Control Tower acknowledgements recorded in the tree: `rule path`. */
function acknowledged(app: App): { rule: string; reason: string }[] {
  return app.node
    .findAll()
    .flatMap((construct) =>
      construct.node.metadata
        .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
        .flatMap((entry) => Object.entries(entry.data as Record<string, string>))
        .filter(([rule]) => rule.startsWith(`${GUARD_PLUGIN}::`))
        .map(([rule, reason]) => ({ rule: `${rule} ${construct.node.path}`, reason })),
    );
}

const logicalIds = (stack: Stack, type: string): string[] => Object.keys(Template.fromStack(stack).findResources(type));

describe('AWS Control Tower proactive controls', () => {
  test('the demo, deployed to an account, has no unacknowledged finding', () => {
    const app = new App();
    new SecureApiStack(app, 'SecureApiDemo', { env: ENV });
    expect(reported(app)).toEqual([]);
  });

  test.each(SCENARIOS.slice(1).map((scenario) => [scenario.name, scenario]))('%s: the findings left are the owner’s own choices', (name, scenario) => {
    const { app } = scenario.build();
    const expected =
      name === 'secure api with all options'
        ? // The scenario keeps its logs six months: CT.CLOUDWATCH.PR.2 wants a year. The owner chose it; the library does not hide it.
          ['AccessLogs', 'ExecutionLogs', 'JwtAuthorizer/LogGroup', 'WebAcl/LogGroup'].map((group) => `cloudwatch_log_group_retention_period_check AllOptionsApi/Api/${group}/Resource`)
        : [];
    expect(reported(app)).toEqual(expected);
  });

  test('the demo acknowledges only the VPC and customer-key controls, each with its reason', () => {
    const app = new App();
    const stack = new SecureApiStack(app, 'SecureApiDemo', { env: ENV });
    const functions = logicalIds(stack, 'AWS::Lambda::Function');
    const logGroups = logicalIds(stack, 'AWS::Logs::LogGroup');
    expect(raw(stack)).toEqual(
      [...functions.map((id) => `lambda_inside_vpc_check ${id}`), ...logGroups.map((id) => `cloudwatch_log_group_encrypted_check ${id}`)].sort(),
    );
    const acks = acknowledged(app);
    expect(new Set(acks.map((ack) => ack.rule.split(' ')[0]))).toEqual(new Set([`${GUARD_PLUGIN}::lambda_inside_vpc_check`, `${GUARD_PLUGIN}::cloudwatch_log_group_encrypted_check`]));
    for (const ack of acks) {
      expect(ack.reason.length).toBeGreaterThanOrEqual(60);
    }
  });

  test('the compliant configuration (authorizer in a VPC, one customer key for every log) meets every control without an acknowledgement, deny list included', () => {
    const app = new App();
    const stack = new Stack(app, 'CompliantApi', { env: ENV });
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1, restrictDefaultSecurityGroup: false });
    const api = new SecureApi(stack, 'Api', {
      issuers: [TokenIssuer.oidc({ issuerUrl: 'https://login.example.com/', audiences: ['https://api.example.com'] })],
      authorizerOptions: { vpc },
      logEncryptionKey: new LogEncryptionKey(stack, 'LogKey'),
      revocation: true,
    });
    const handler = new lambda.Function(stack, 'Backend', {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => ({ statusCode: 200, body: "{}" });'),
      vpc,
    });
    api.addRoute('GET /orders', new apigw.LambdaIntegration(handler), { scopes: [ApiScope.of('https://api.example.com', 'orders.read', 'Read orders')] });

    // The VPC is the test's own; its flow-log and default-security-group choices are not the library's.
    const ours = raw(stack).filter((finding) => !/ Vpc[A-Z0-9]/.test(finding));
    expect(ours).toEqual([]);
    expect(acknowledged(app).map((ack) => ack.rule).filter((rule) => rule.includes('/Api/'))).toEqual([]);

    const authorizer = Template.fromStack(stack).findResources('AWS::Lambda::Function', { Properties: { Description: 'Verifies OAuth 2.0 access tokens (JWT) and per-route scopes for API Gateway' } });
    const [config] = Object.values(authorizer).map((fn) => (fn as { Properties: { VpcConfig: { SecurityGroupIds: unknown[]; SubnetIds: unknown[] } } }).Properties.VpcConfig);
    expect(config!.SubnetIds).toHaveLength(2);
    // The authorizer's own security group: outbound HTTPS only, nothing inbound.
    const groups = Template.fromStack(stack).findResources('AWS::EC2::SecurityGroup', { Properties: { GroupDescription: 'JWT authorizer: outbound HTTPS only (issuer keys, AWS APIs), no inbound' } });
    expect(Object.values(groups).map((group) => (group as { Properties: { SecurityGroupEgress: unknown[]; SecurityGroupIngress?: unknown } }).Properties)).toEqual([
      expect.objectContaining({ SecurityGroupEgress: [{ CidrIp: '0.0.0.0/0', Description: 'HTTPS to the issuers and AWS endpoints', FromPort: 443, IpProtocol: 'tcp', ToPort: 443 }] }),
    ]);
    expect(Object.values(groups)[0]).not.toHaveProperty('Properties.SecurityGroupIngress');
  });

  test('every service invoke permission a SecureApi holds carries SourceAccount, also for methods added on restApi directly', () => {
    const app = new App();
    const stack = new Stack(app, 'Permissions', { env: ENV });
    const api = new SecureApi(stack, 'Api', { issuers: [TokenIssuer.oidc({ issuerUrl: 'https://login.example.com/', audiences: ['https://api.example.com'] })] });
    const handler = new lambda.Function(stack, 'Backend', { runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler = async () => ({})') });
    api.addRoute('GET /orders', new apigw.LambdaIntegration(handler), { authenticatedOnly: true });
    api.restApi.root.addResource('direct').addMethod('GET', new apigw.LambdaIntegration(handler), { authorizer: api.authorizer.requestAuthorizer, authorizationType: apigw.AuthorizationType.CUSTOM });
    api.authorizer.addRoute({ method: 'GET', path: '/direct', scopes: ['orders.read'] });
    const permissions = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Permission')).map((resource) => (resource as { Properties: Record<string, unknown> }).Properties);
    // The authorizer's, and per method the stage's and the test-invoke's.
    expect(permissions.length).toBeGreaterThanOrEqual(3);
    for (const permission of permissions) {
      expect(permission).toMatchObject({ Principal: 'apigateway.amazonaws.com', SourceAccount: ENV.account, SourceArn: expect.anything() });
    }
    expect(raw(stack).filter((finding) => finding.startsWith('lambda_function_public_access_prohibited_check'))).toEqual([]);
  });

  test('outside a SecureApi the aspect applies where it is added; an environment-agnostic stack gets a reference the static check cannot read', () => {
    const app = new App();
    const stack = new Stack(app, 'Agnostic');
    const handler = new lambda.Function(stack, 'Fn', { runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler = async () => ({})') });
    handler.addPermission('FromS3', { principal: new iam.ServicePrincipal('s3.amazonaws.com') });
    handler.addPermission('FromAccount', { principal: new iam.AccountPrincipal('210987654321') });
    Aspects.of(stack).add(new ServiceInvokeSourceAccount());
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Lambda::Permission', { Principal: 's3.amazonaws.com', SourceAccount: { Ref: 'AWS::AccountId' } });
    // An account principal is not a service: nothing to add.
    expect(Object.values(template.findResources('AWS::Lambda::Permission', { Properties: { Principal: '210987654321' } })).map((resource) => (resource as { Properties: object }).Properties)).toEqual([
      expect.not.objectContaining({ SourceAccount: expect.anything() }),
    ]);
    expect(raw(stack).filter((finding) => finding.startsWith('lambda_function_public_access_prohibited_check'))).toHaveLength(1);
  });
});
