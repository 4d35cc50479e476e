import { App, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import { Template } from 'aws-cdk-lib/assertions';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as logs from 'aws-cdk-lib/aws-logs';
import {
  ApiScope, SECURE_API_DEFAULTS, SecureApi, SecureApiProps, SecureApiStandard, SecureApiWebAcl, TokenIssuer, StackTemplate, acknowledgementOf, checkTemplates, renderAccessLogFormat,
} from '../../../lib';
import { accessLogFieldsFor, type LogProfile } from '../../../lib/data-protection';

const READ = ApiScope.of('https://api.example.com', 'items.read', 'Read items');

function secureApi(props: Partial<SecureApiProps> = {}) {
  const app = new App();
  const stack = new Stack(app, 'Stack', { env: { account: '123456789012', region: 'eu-west-1' } });
  const userPool = new cognito.UserPool(stack, 'Pool');
  const api = new SecureApi(stack, 'Api', {
    issuers: [TokenIssuer.cognito({ userPool, clients: [userPool.addClient('Client')] })],
    ...props,
  });
  api.addRoute('GET /items/{id}', new apigw.MockIntegration(), { scopes: [READ] });
  return { app, stack, api };
}

function accessLogFormat(stack: Stack): Record<string, string> {
  const [stage] = Object.values(Template.fromStack(stack).findResources('AWS::ApiGateway::Stage')) as Array<{ Properties: { AccessLogSetting: { Format: string } } }>;
  return JSON.parse(stage!.Properties.AccessLogSetting.Format) as Record<string, string>;
}

/** Retention and deletion policy of each audit log group, by the construct that owns it. */
function auditLogGroups(stack: Stack, api: SecureApi) {
  const template = Template.fromStack(stack);
  const of = (group: logs.ILogGroup | undefined) => {
    const id = stack.getLogicalId(group!.node.defaultChild as logs.CfnLogGroup);
    const resource = template.toJSON().Resources[id] as { Properties: { RetentionInDays?: number }; DeletionPolicy?: string };
    return { retention: resource.Properties.RetentionInDays, deletion: resource.DeletionPolicy };
  };
  return {
    access: of(api.accessLogGroup),
    decision: of(api.authorizerLogGroup),
    waf: of(api.webAcl?.logGroup),
    execution: of(api.executionLogGroup),
  };
}

describe('SecureApi log profiles', () => {
  test('default secure api keeps the full access log', () => {
    const { stack, api } = secureApi();

    expect(api.logProfile).toBe('full');
    expect(accessLogFormat(stack)).toEqual(SECURE_API_DEFAULTS.accessLogFields);
  });

  test('minimal profile leaves the IP address out of the access log and keeps the resource template', () => {
    const { stack, api } = secureApi({ logProfile: 'minimal' });
    const format = accessLogFormat(stack);

    expect(api.logProfile).toBe('minimal');
    expect(Object.values(format)).not.toContain('$context.identity.sourceIp');
    expect(Object.values(format)).not.toContain('$context.identity.userAgent');
    expect(Object.values(format)).not.toContain('$context.path');
    expect(format).toMatchObject({
      resourcePath: '$context.resourcePath',
      principalId: '$context.authorizer.principalId',
      sub: '$context.authorizer.sub',
      clientId: '$context.authorizer.clientId',
    });
    expect(Object.keys(format)).toEqual(Object.keys(SECURE_API_DEFAULTS.accessLogFields).filter((field) => field !== 'ip'));
  });

  test('pseudonymous profile keeps only the principal (the pseudonym of sub) of the caller in the access log', () => {
    const { stack } = secureApi({ logProfile: 'pseudonymous' });
    const format = accessLogFormat(stack);

    expect(format.principalId).toBe('$context.authorizer.principalId');
    expect(Object.keys(format)).toEqual(
      Object.keys(SECURE_API_DEFAULTS.accessLogFields).filter((field) => !['ip', 'sub', 'clientId'].includes(field)),
    );
  });

  test.each<LogProfile>(['full', 'minimal', 'pseudonymous'])('every access log format of profile %s renders as safe JSON', (profile) => {
    const { stack } = secureApi({ logProfile: profile });

    expect(JSON.stringify(accessLogFormat(stack))).toBe(renderAccessLogFormat(accessLogFieldsFor(profile, SECURE_API_DEFAULTS.accessLogFields)));
  });

  test('a profile without the IP address acknowledges the API standard access-log rule on the stage, with the reason', () => {
    const full = secureApi();
    const minimal = secureApi({ logProfile: 'minimal' });

    expect(acknowledgementOf(full.app, full.api.stage.node.path, 'SecureApi-AccessLogging')).toBeUndefined();
    expect(acknowledgementOf(minimal.app, minimal.api.stage.node.path, 'SecureApi-AccessLogging')).toBe(
      "The API owner chose logProfile 'minimal': the access log leaves the caller's IP address out on purpose (data minimisation); " +
        'the principal, status, authorizer and WAF fields stay.',
    );
  });

  test('a minimal api passes the API standard through CDK validation; without the acknowledgement its access log would fail it', () => {
    const app = new App();
    Validations.of(app).addPlugins(new SecureApiStandard());
    const api = new SecureApi(new Stack(app, 'Oidc', { env: { account: '123456789012', region: 'eu-west-1' } }), 'Api', {
      issuers: [TokenIssuer.oidc({ issuerUrl: 'https://login.example.com', audiences: ['api://items'] })],
      logProfile: 'minimal',
    });
    api.addRoute('GET /items/{id}', new apigw.MockIntegration(), { scopes: [READ] });
    expect(() => app.synth()).not.toThrow();

    const results = checkTemplates([new StackTemplate('Stack', Template.fromStack(secureApi({ logProfile: 'minimal' }).stack).toJSON())]);
    const accessLogging = results.find((result) => result.rule.id === 'SecureApi-AccessLogging')!;
    expect(accessLogging.findings.map((finding) => finding.detail)).toEqual(['the access log format lacks caller']);
  });

  test('throws when the log profile is not one of the profiles', () => {
    expect(() => secureApi({ logProfile: 'none' as LogProfile })).toThrow(
      "Stack/Api: 'logProfile' must be one of 'full', 'minimal', 'pseudonymous' (received: 'none')",
    );
  });

  test('throws when a data-minimising profile is combined with full request and response logging', () => {
    expect(() => secureApi({ logProfile: 'pseudonymous', unsafeLogFullRequestsAndResponses: true })).toThrow(
      "Stack/Api: 'unsafeLogFullRequestsAndResponses' logs every header and body, which 'logProfile' 'pseudonymous' keeps out of the logs: " +
        'set at most one (received: unsafeLogFullRequestsAndResponses true)',
    );
    expect(() => secureApi({ logProfile: 'full', unsafeLogFullRequestsAndResponses: true })).not.toThrow();
  });
});

describe('SecureApi log retention per kind', () => {
  test('default secure api keeps every audit log one year and retains it after the stack is deleted', () => {
    const { stack, api } = secureApi();

    const year = { retention: 365, deletion: 'Retain' };
    expect(auditLogGroups(stack, api)).toEqual({ access: year, decision: year, waf: year, execution: year });
  });

  test('one retention applies to every audit log', () => {
    const { stack, api } = secureApi({ logRetention: logs.RetentionDays.ONE_MONTH, logRemovalPolicy: RemovalPolicy.DESTROY });

    const month = { retention: 30, deletion: 'Delete' };
    expect(auditLogGroups(stack, api)).toEqual({ access: month, decision: month, waf: month, execution: month });
  });

  test('a retention per kind applies to its log, the others keep their default', () => {
    const { stack, api } = secureApi({
      logRetention: { access: logs.RetentionDays.THREE_MONTHS, decision: logs.RetentionDays.SIX_MONTHS, waf: logs.RetentionDays.ONE_MONTH },
    });

    expect(auditLogGroups(stack, api)).toEqual({
      access: { retention: 90, deletion: 'Retain' },
      decision: { retention: 180, deletion: 'Retain' },
      waf: { retention: 30, deletion: 'Retain' },
      execution: { retention: 365, deletion: 'Retain' },
    });
    const execution = secureApi({ logRetention: { execution: logs.RetentionDays.TWO_WEEKS } });
    expect(auditLogGroups(execution.stack, execution.api).execution).toEqual({ retention: 14, deletion: 'Retain' });
  });

  test('throws when a retention per kind is infinite', () => {
    expect(() => secureApi({ logRetention: { decision: logs.RetentionDays.INFINITE } })).toThrow(
      /^Stack\/Api: 'logRetention\.decision' must be a bounded retention, one of 1, 3, 5, .* days \(never RetentionDays\.INFINITE\) \(received: RetentionDays\.INFINITE\)$/,
    );
    expect(() => secureApi({ logRetention: logs.RetentionDays.INFINITE })).toThrow(/'logRetention' must be a bounded retention/);
  });

  test('throws when a retention names an unknown kind of log', () => {
    expect(() => secureApi({ logRetention: { audit: logs.RetentionDays.ONE_YEAR } as never })).toThrow(
      "Stack/Api: 'logRetention.audit' is not a kind of log; the kinds are access, decision, waf, execution (received: {\"audit\":365})",
    );
  });

  test('throws when a WAF retention is given for a web ACL the API does not create', () => {
    const shared = (stack: Stack) => new SecureApiWebAcl(stack, 'Shared');
    const app = new App();
    const stack = new Stack(app, 'Stack');
    expect(() => new SecureApi(stack, 'Api', {
      issuers: [TokenIssuer.oidc({ issuerUrl: 'https://login.example.com', audiences: ['api://items'] })],
      webAcl: shared(stack),
      logRetention: { waf: logs.RetentionDays.ONE_MONTH },
    })).toThrow(
      "Stack/Api: 'logRetention.waf' applies to the log of the web ACL this API creates, and there is none with 'webAcl' set: leave it out (received: {\"waf\":30})",
    );
    expect(() => secureApi({ webAclOptions: { logging: { retention: logs.RetentionDays.ONE_YEAR } }, logRetention: { waf: logs.RetentionDays.ONE_MONTH } })).toThrow(
      "Stack/Api: 'logRetention.waf' and 'webAclOptions.logging.retention' are alternatives: set at most one (received: 30 and 365)",
    );
    expect(() => secureApi({ disableWebAcl: true, logRetention: { waf: logs.RetentionDays.ONE_MONTH } })).toThrow(/there is none with 'disableWebAcl' set/);
  });
});

describe('SecureApi hands its profile and deny list to the authorizer', () => {
  /** The authorizer's configuration as the function receives it (config.json and the environment variable), as text. */
  function authorizerConfig(stack: Stack, api: SecureApi): string {
    const fn = Template.fromStack(stack).toJSON().Resources[stack.getLogicalId(api.authorizerFunction.node.defaultChild as never)] as {
      Properties: { Environment?: { Variables?: Record<string, unknown> } };
    };
    return JSON.stringify([api.authorizer.configJson, fn.Properties.Environment?.Variables?.SECURE_API_AUTHORIZER_CONFIG ?? null]);
  }

  test('pseudonymous with revocation: the decision log follows the profile, a generated key only the function reads, Scan on the deny list', () => {
    const { stack, api } = secureApi({ logProfile: 'pseudonymous', revocation: true });
    const config = authorizerConfig(stack, api);
    expect(config).toContain('pseudonymous');
    expect(config).toContain('pseudonymKey');
    expect(config).toContain('denyList');
    expect(api.pseudonymKey).toBeDefined();
    expect(api.authorizer.logProfile).toBe('pseudonymous');

    const template = Template.fromStack(stack);
    const tableArn = { 'Fn::GetAtt': [stack.getLogicalId(api.denyList!.table.node.defaultChild as never), 'Arn'] };
    const secretRef = { Ref: stack.getLogicalId(api.pseudonymKey!.node.defaultChild as never) };
    const statements = Object.values(template.findResources('AWS::IAM::Policy'))
      .flatMap((policy) => (policy as { Properties: { PolicyDocument: { Statement: Array<{ Action: unknown; Resource: unknown }> } } }).Properties.PolicyDocument.Statement)
      .filter((statement) => JSON.stringify(statement.Resource) === JSON.stringify(tableArn) || JSON.stringify(statement.Resource) === JSON.stringify(secretRef));
    // Nothing else in the stack may read the table or the key.
    expect(statements.map((statement) => statement.Action).sort()).toEqual(['dynamodb:Scan', 'secretsmanager:GetSecretValue']);
  });

  test('the default profile writes nothing new: no key, no deny list', () => {
    const { stack, api } = secureApi();
    expect(api.pseudonymKey).toBeUndefined();
    expect(api.authorizer.logProfile).toBe('full');
    const config = authorizerConfig(stack, api);
    expect(config).not.toContain('pseudonymKey');
    expect(config).not.toContain('denyList');
    Template.fromStack(stack).resourceCountIs('AWS::SecretsManager::Secret', 0);
    Template.fromStack(stack).resourceCountIs('AWS::DynamoDB::Table', 0);
  });
});
