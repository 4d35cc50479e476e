import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { AwsSolutionsChecks, NIST80053R5Checks, ServerlessChecks } from 'cdk-nag';
import { JwtAuthorizer, JwtAuthorizerProps, TokenIssuer } from '../../../lib';

const OIDC = () => TokenIssuer.oidc({ issuerUrl: 'https://login.example.com', audiences: ['api://items'] });

/** A JwtAuthorizer on a plain RestApi, with a deny-list table in the same stack when asked. */
function standalone(props: (stack: Stack) => JwtAuthorizerProps = () => ({})) {
  const app = new App();
  const stack = new Stack(app, 'Stack', { env: { account: '123456789012', region: 'eu-west-1' } });
  const authorizer = new JwtAuthorizer(stack, 'Jwt', { issuers: [OIDC()], ...props(stack) });
  const api = new apigw.RestApi(stack, 'Api', { cloudWatchRole: false });
  api.root.addResource('items').addMethod('GET', new apigw.MockIntegration(), { authorizer: authorizer.requestAuthorizer });
  authorizer.addRoute({ method: 'GET', path: '/items', scopes: ['items.read'] });
  return { stack, authorizer, template: () => Template.fromStack(stack) };
}

const denyTable = (stack: Stack, encryptionKey?: kms.IKey) =>
  new dynamodb.Table(stack, 'DenyList', {
    partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
    ...(encryptionKey ? { encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED, encryptionKey } : {}),
  });

const LOGS = { Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Effect: 'Allow', Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^JwtLogGroup'), 'Arn'] } };
const XRAY = { Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], Effect: 'Allow', Resource: '*' };

/** The configuration the function receives: config.json merged with the environment variable, resolved. */
function deployedConfig(stack: Stack, authorizer: JwtAuthorizer): Record<string, unknown> {
  const file = JSON.parse(authorizer.configJson) as Record<string, unknown>;
  const variables = Template.fromStack(stack).findResources('AWS::Lambda::Function');
  const fn = Object.values(variables).find((resource) => JSON.stringify(resource).includes('index.handler')) as { Properties: { Environment?: { Variables?: Record<string, unknown> } } };
  const env = fn.Properties.Environment?.Variables?.SECURE_API_AUTHORIZER_CONFIG;
  return { ...file, environment: env };
}

describe('JwtAuthorizer data protection and revocation', () => {
  test('jwt authorizer with a deny list: the role gets exactly Scan on the table, the table travels in the environment', () => {
    const { stack, authorizer, template } = standalone((s) => ({ denyList: { table: denyTable(s), refresh: Duration.seconds(10), whenUnavailable: 'deny' } }));
    template().hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [LOGS, XRAY, { Action: 'dynamodb:Scan', Effect: 'Allow', Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DenyList'), 'Arn'] } }],
        Version: '2012-10-17',
      },
    });
    template().resourceCountIs('AWS::IAM::Policy', 1);
    const config = deployedConfig(stack, authorizer);
    expect(config.denyList).toBeUndefined();
    expect(config.logProfile).toBeUndefined();
    expect(JSON.stringify(config.environment)).toContain('"denyList\\":{\\"tableName\\":\\"');
    expect(JSON.stringify(config.environment)).toContain('\\"region\\":\\"eu-west-1\\",\\"refreshSeconds\\":10,\\"whenUnavailable\\":\\"deny\\"}');
    expect(JSON.stringify(stack.resolve(authorizer.environmentConfig))).toContain('{"Ref":"DenyList');
  });

  test('jwt authorizer with a deny list encrypted by a customer key: also kms:Decrypt on that key', () => {
    const { template } = standalone((s) => ({ denyList: { table: denyTable(s, new kms.Key(s, 'TableKey')) } }));
    template().hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          LOGS,
          XRAY,
          { Action: 'dynamodb:Scan', Effect: 'Allow', Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DenyList'), 'Arn'] } },
          { Action: 'kms:Decrypt', Effect: 'Allow', Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^TableKey'), 'Arn'] } },
        ],
        Version: '2012-10-17',
      },
    });
  });

  test('jwt authorizer with an imported table in another region: its own region is configured', () => {
    const { stack, authorizer } = standalone((s) => ({ denyList: { table: dynamodb.Table.fromTableArn(s, 'Imported', 'arn:aws:dynamodb:us-west-2:123456789012:table/deny-list') } }));
    expect(JSON.parse(authorizer.configJson).denyList).toEqual({ tableName: 'deny-list', region: 'us-west-2' });
    expect(stack.resolve(authorizer.environmentConfig)).toBe('');
  });

  test('pseudonymous jwt authorizer: a generated 64-character key, readable with GetSecretValue by the function only', () => {
    const { stack, authorizer, template } = standalone(() => ({ logProfile: 'pseudonymous' }));
    template().hasResource('AWS::SecretsManager::Secret', {
      Properties: { GenerateSecretString: { PasswordLength: 64, ExcludePunctuation: true } },
      DeletionPolicy: 'Retain',
    });
    template().hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [LOGS, XRAY, { Action: 'secretsmanager:GetSecretValue', Effect: 'Allow', Resource: { Ref: Match.stringLikeRegexp('^JwtPseudonymKey') } }],
        Version: '2012-10-17',
      },
    });
    expect(authorizer.pseudonymKey).toBeDefined();
    expect(authorizer.logProfile).toBe('pseudonymous');
    const config = deployedConfig(stack, authorizer);
    expect(config.logProfile).toBe('pseudonymous');
    expect(JSON.stringify(config.environment)).toContain('pseudonymKey');
  });

  test('pseudonymous jwt authorizer with a given secret: no secret created, the grant names it', () => {
    const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:audit-key-AbCdEf';
    const { authorizer, template } = standalone((s) => ({ logProfile: 'pseudonymous', pseudonymKey: secretsmanager.Secret.fromSecretCompleteArn(s, 'Key', arn) }));
    template().resourceCountIs('AWS::SecretsManager::Secret', 0);
    template().hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: [LOGS, XRAY, { Action: 'secretsmanager:GetSecretValue', Effect: 'Allow', Resource: arn }], Version: '2012-10-17' },
    });
    expect(JSON.parse(authorizer.configJson)).toMatchObject({ logProfile: 'pseudonymous', pseudonymKey: { secretArn: arn } });
  });

  test('pseudonymous jwt authorizer with a secret known by name: the grant covers its suffix', () => {
    const { template } = standalone((s) => ({ logProfile: 'pseudonymous', pseudonymKey: secretsmanager.Secret.fromSecretNameV2(s, 'Key', 'audit-key') }));
    const policy = Object.values(template().findResources('AWS::IAM::Policy'))[0] as { Properties: { PolicyDocument: { Statement: { Action: string; Resource: unknown }[] } } };
    const statement = policy.Properties.PolicyDocument.Statement.find((s) => s.Action === 'secretsmanager:GetSecretValue');
    expect(JSON.stringify(statement?.Resource)).toMatch(/:secret:audit-key-\?\?\?\?\?\?"/);
  });

  test('minimal jwt authorizer: the profile is in config.json, and nothing else is granted or created', () => {
    const { authorizer, template } = standalone(() => ({ logProfile: 'minimal', logRemovalPolicy: RemovalPolicy.DESTROY }));
    expect(JSON.parse(authorizer.configJson).logProfile).toBe('minimal');
    template().resourceCountIs('AWS::SecretsManager::Secret', 0);
    template().hasResourceProperties('AWS::IAM::Policy', { PolicyDocument: { Statement: [LOGS, XRAY], Version: '2012-10-17' } });
  });

  test('default jwt authorizer: no profile, key or deny list in its configuration', () => {
    const { authorizer } = standalone();
    const file = JSON.parse(authorizer.configJson);
    expect([file.logProfile, file.pseudonymKey, file.denyList, authorizer.pseudonymKey]).toEqual([undefined, undefined, undefined, undefined]);
  });

  test('throws when a pseudonym key is given without the pseudonymous profile', () => {
    const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:audit-key-AbCdEf';
    expect(() => standalone((s) => ({ logProfile: 'minimal', pseudonymKey: secretsmanager.Secret.fromSecretCompleteArn(s, 'Key', arn) }))).toThrow(
      "'pseudonymKey' is only used with logProfile 'pseudonymous' (received: logProfile 'minimal')",
    );
  });

  test('throws when the log profile is unknown', () => {
    expect(() => standalone(() => ({ logProfile: 'none' as never }))).toThrow("'logProfile' must be one of full, minimal, pseudonymous (received: 'none')");
  });

  test.each([
    [Duration.seconds(0), "'denyList.refresh' must be at least 1 seconds (received: 0)"],
    [Duration.minutes(6), "'denyList.refresh' must be at most 300 seconds (received: 360)"],
    [Duration.millis(1500), "'denyList.refresh' must be a whole number of seconds (received: 1.5)"],
  ])('throws when the deny list refresh is out of range (%s)', (refresh, message) => {
    expect(() => standalone((s) => ({ denyList: { table: denyTable(s), refresh } }))).toThrow(message);
  });

  test('jwt authorizer with a deny list and pseudonyms: the default timeout grows to cover their reads', () => {
    standalone((s) => ({ denyList: { table: denyTable(s) } })).template().hasResourceProperties('AWS::Lambda::Function', { Handler: 'index.handler', Timeout: 6 });
    standalone((s) => ({ denyList: { table: denyTable(s) }, logProfile: 'pseudonymous' })).template().hasResourceProperties('AWS::Lambda::Function', { Handler: 'index.handler', Timeout: 7 });
    standalone(() => ({ logProfile: 'minimal' })).template().hasResourceProperties('AWS::Lambda::Function', { Handler: 'index.handler', Timeout: 5 });
  });

  test('throws when the timeout does not cover the deny list read', () => {
    expect(() => standalone((s) => ({ denyList: { table: denyTable(s) }, timeout: Duration.seconds(5) }))).toThrow(
      "'timeout' must be at least 5500 ms, twice 'keyFetchTimeout', the 1500 ms of the deny list's and the pseudonym key's reads plus a 1000 ms margin, so a slow issuer fails closed before Lambda times out (received: 5000)",
    );
  });

  test('throws when whenUnavailable is unknown', () => {
    expect(() => standalone((s) => ({ denyList: { table: denyTable(s), whenUnavailable: 'open' as never } }))).toThrow("'denyList.whenUnavailable' must be 'allow' or 'deny' (received: 'open')");
  });
});

describe('JwtAuthorizer data protection and cdk-nag', () => {
  test('a pseudonymous authorizer with a deny list adds no unacknowledged finding of its own', () => {
    const { stack } = standalone((s) => ({ logProfile: 'pseudonymous', denyList: { table: denyTable(s) } }));
    const findings = [new AwsSolutionsChecks(), new ServerlessChecks(), new NIST80053R5Checks()].flatMap((pack) =>
      pack.validateScope(stack).violations.flatMap((violation) => violation.violatingResources.map((resource) => `${violation.ruleName} ${resource.constructPath}`)),
    );
    expect(findings.filter((finding) => finding.includes('PseudonymKey') || finding.includes('ServiceRole'))).toEqual([]);
  });
});
