import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import { createAuditLogGroup } from '../../lib/defaults';
import { LogEncryptionKey } from '../../lib/log-encryption-key';
import { cloudWatchLogsKeyStatement } from '../fixtures/key-policy';
import { GRANTS_FOR_AWS_SERVICES_ONLY } from '../fixtures/key-policy';

const ENV = { account: '123456789012', region: 'eu-west-1' };

const LOGS_STATEMENT = cloudWatchLogsKeyStatement(ENV);

function newStack(): Stack {
  return new Stack(new App(), 'KeyStack', { env: ENV });
}

function keyStatements(stack: Stack): unknown[] {
  const [key] = Object.values(Template.fromStack(stack).findResources('AWS::KMS::Key'));
  return key!.Properties.KeyPolicy.Statement;
}

describe('LogEncryptionKey', () => {
  test('default log encryption key', () => {
    const stack = newStack();
    new LogEncryptionKey(stack, 'LogKey');
    const template = Template.fromStack(stack);
    template.hasResource('AWS::KMS::Key', {
      Properties: { EnableKeyRotation: true, Description: 'Encrypts the audit log groups of a secure API' },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
    template.resourceCountIs('AWS::KMS::Alias', 0);
    const statements = keyStatements(stack);
    // The account keeps administering the key (CDK's default key policy), and CloudWatch Logs may use it.
    expect(statements).toEqual([
      expect.objectContaining({ Effect: 'Allow', Principal: { AWS: expect.anything() }, Action: 'kms:*' }),
      LOGS_STATEMENT,
      GRANTS_FOR_AWS_SERVICES_ONLY,
    ]);
  });

  test('log encryption key with all props specified', () => {
    const stack = newStack();
    new LogEncryptionKey(stack, 'LogKey', {
      description: 'Orders API audit logs',
      alias: 'alias/orders-audit-logs',
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    const template = Template.fromStack(stack);
    template.hasResource('AWS::KMS::Key', {
      Properties: { EnableKeyRotation: true, Description: 'Orders API audit logs', PendingWindowInDays: 7 },
      DeletionPolicy: 'Delete',
    });
    template.hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/orders-audit-logs' });
  });

  test('encrypts log groups, and createAuditLogGroup adds no second statement for it', () => {
    const stack = newStack();
    const key = new LogEncryptionKey(stack, 'LogKey');
    new logs.LogGroup(stack, 'Direct', { encryptionKey: key });
    createAuditLogGroup(stack, 'Audit', { retention: logs.RetentionDays.ONE_YEAR, removalPolicy: RemovalPolicy.RETAIN, encryptionKey: key });
    const template = Template.fromStack(stack);
    const keyArn = { 'Fn::GetAtt': [stack.getLogicalId(key.node.defaultChild as never), 'Arn'] };
    expect(Object.values(template.findResources('AWS::Logs::LogGroup', { Properties: { KmsKeyId: keyArn } }))).toHaveLength(2);
    expect(keyStatements(stack).filter((s) => JSON.stringify(s).includes('logs.eu-west-1.amazonaws.com'))).toEqual([LOGS_STATEMENT]);
  });

  test('the logs principal follows the region of an environment-agnostic stack', () => {
    const stack = new Stack(new App(), 'AgnosticStack');
    new LogEncryptionKey(stack, 'LogKey');
    expect(keyStatements(stack)).toContainEqual(expect.objectContaining({
      Principal: { Service: { 'Fn::Join': ['', ['logs.', { Ref: 'AWS::Region' }, '.amazonaws.com']] } },
      Condition: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': expect.anything() } },
    }));
  });
});
