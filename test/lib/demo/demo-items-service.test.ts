import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import { DemoItemsService } from '../../../lib/demo/demo-items-service';
import { GRANTS_FOR_AWS_SERVICES_ONLY } from '../../fixtures/key-policy';

const KEY_ACTIONS = [
  'kms:Decrypt',
  'kms:DescribeKey',
  'kms:Encrypt',
  'kms:GenerateDataKey',
  'kms:GenerateDataKeyWithoutPlaintext',
  'kms:ReEncryptFrom',
  'kms:ReEncryptTo',
];

interface Statement {
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
}

/** Every statement of every IAM policy in the template that names a KMS action. */
function kmsStatements(template: Template): Statement[] {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .flatMap((policy) => (policy.Properties.PolicyDocument.Statement as Statement[]))
    .filter((statement) => [statement.Action].flat().some((action) => action.startsWith('kms:')));
}

function viaDynamoDb(region: unknown) {
  return { StringEquals: { 'kms:ViaService': region } };
}

describe('DemoItemsService', () => {
  test('default demo items service', () => {
    const stack = new Stack(new App(), 'Demo', { env: { account: '123456789012', region: 'eu-west-1' } });
    const service = new DemoItemsService(stack, 'Items');
    const template = Template.fromStack(stack);

    // The table has a customer-managed key of its own, rotated, retained with the table.
    template.resourceCountIs('AWS::KMS::Key', 1);
    template.hasResource('AWS::KMS::Key', {
      Properties: { EnableKeyRotation: true },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
    const keyId = stack.getLogicalId(service.tableEncryptionKey.node.defaultChild as kms.CfnKey);
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } },
    });

    // The key policy lets the account's IAM policies govern the key (administrators, the deploying role
    // that lets DynamoDB create its grants, the function's role), names no one outside the account, and
    // lets only AWS services (DynamoDB, for the table) create grants on it.
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: [
          {
            Action: 'kms:*',
            Effect: 'Allow',
            Principal: { AWS: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::123456789012:root']] } },
            Resource: '*',
          },
          GRANTS_FOR_AWS_SERVICES_ONLY,
        ],
      },
    });

    // The function's role may use the key only through DynamoDB in the stack's region, with named actions.
    expect(kmsStatements(template)).toEqual([
      { Action: KEY_ACTIONS, Effect: 'Allow', Resource: { 'Fn::GetAtt': [keyId, 'Arn'] }, Condition: viaDynamoDb('dynamodb.eu-west-1.amazonaws.com') },
    ]);
  });

  test('an environment-agnostic stack scopes the key to DynamoDB in the deployment region', () => {
    const stack = new Stack(new App(), 'Agnostic');
    new DemoItemsService(stack, 'Items');
    const [statement] = kmsStatements(Template.fromStack(stack));
    expect(statement!.Condition).toEqual(viaDynamoDb({ 'Fn::Join': ['', ['dynamodb.', { Ref: 'AWS::Region' }, '.amazonaws.com']] }));
  });

  test('demo items service with all props specified', () => {
    const stack = new Stack(new App(), 'Demo', { env: { account: '123456789012', region: 'eu-west-1' } });
    const logKey = new kms.Key(stack, 'LogKey', { enableKeyRotation: true });
    const tableKey = kms.Key.fromKeyArn(stack, 'TableKey', 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab');
    const service = new DemoItemsService(stack, 'Items', { encryptionKey: logKey, tableEncryptionKey: tableKey, removalPolicy: RemovalPolicy.DESTROY });
    const template = Template.fromStack(stack);

    expect(service.tableEncryptionKey).toBe(tableKey);
    // No key of its own when one is given.
    template.resourceCountIs('AWS::KMS::Key', 1);
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: tableKey.keyArn },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^LogKey'), 'Arn'] } });
    // The log key encrypts the log group under its own policy; the function's role gets no right on it.
    expect(kmsStatements(template)).toEqual([
      { Action: KEY_ACTIONS, Effect: 'Allow', Resource: tableKey.keyArn, Condition: viaDynamoDb('dynamodb.eu-west-1.amazonaws.com') },
    ]);
  });
});
