/**
 * Destroy, then deploy again: `cdk destroy` leaves every resource with a `Retain` deletion policy
 * behind, so a retained resource with a name fixed at synth would make the next deployment of the same
 * stack fail with "already exists". For every public scenario, each retained resource's name is resolved
 * for two creations of the stack (a new stack id, and new physical ids for the resources deleted with
 * the stack) and must differ, or be left to CloudFormation, or belong to a type without a unique name.
 */
import { Template } from 'aws-cdk-lib/assertions';
import { TemplateValues, type Json } from '../fixtures/iam-policy-evaluator';
import { ENV, SCENARIOS } from './scenarios';

/** The property that names a resource of the type, when the name must be unique in the account and region. */
const UNIQUE_NAME_PROPERTY: Readonly<Record<string, string>> = {
  'AWS::Logs::LogGroup': 'LogGroupName',
  'AWS::DynamoDB::Table': 'TableName',
  'AWS::IAM::Role': 'RoleName',
  'AWS::KMS::Alias': 'AliasName',
  'AWS::S3::Bucket': 'BucketName',
  'AWS::SNS::Topic': 'TopicName',
  'AWS::SQS::Queue': 'QueueName',
  'AWS::Lambda::Function': 'FunctionName',
  'AWS::Cognito::UserPoolDomain': 'Domain',
};

/** Types whose resources have no unique name, so a retained one never blocks a new one. */
const NO_UNIQUE_NAME: ReadonlySet<string> = new Set([
  'AWS::KMS::Key', // identified by a generated key id
  'AWS::Cognito::UserPool', // identified by a generated pool id; names may repeat
  'AWS::ApiGateway::Account', // the account's setting: creating it again overwrites the setting
]);

/** Ids CloudFormation gives the stack when it is created, and when it is created again after a delete. */
const STACK_IDS = [
  'arn:aws:cloudformation:eu-west-1:123456789012:stack/TestStack/3c0ae1a0-ca5f-11ef-9b7e-0a1b2c3d4e5f',
  'arn:aws:cloudformation:eu-west-1:123456789012:stack/TestStack/7d41f2b0-cb02-11ef-8a6d-0a1b2c3d4e5f',
];

const isRetained = (resource: Json): boolean => ['Retain', 'RetainExceptOnCreate'].includes(resource.DeletionPolicy);

/**
 * The names of the retained resources of one template, resolved for the n-th creation of its stack:
 * the resources deleted with the stack get new physical ids, except those named in the template.
 */
function retainedNames(template: Json, creation: number): Record<string, string | undefined> {
  const resources: Record<string, Json> = template.Resources;
  const refs: Record<string, string> = { 'AWS::StackId': STACK_IDS[creation]! };
  for (const [id, resource] of Object.entries(resources)) {
    const nameProperty = UNIQUE_NAME_PROPERTY[resource.Type];
    if (!isRetained(resource) && (nameProperty === undefined || resource.Properties?.[nameProperty] === undefined)) {
      refs[id] = `${id.toLowerCase().slice(0, 8)}${creation}`;
    }
  }
  const values = new TemplateValues(template, { ...ENV, refs });
  return Object.fromEntries(
    Object.entries(resources)
      .filter(([, resource]) => isRetained(resource))
      .map(([id, resource]) => {
        const nameProperty = UNIQUE_NAME_PROPERTY[resource.Type];
        const name = nameProperty === undefined ? undefined : resource.Properties?.[nameProperty];
        return [id, name === undefined ? undefined : String(values.resolve(name))];
      }),
  );
}

describe('destroy, then deploy again', () => {
  test.each(SCENARIOS.map((s) => [s.name, s] as const))('%s: no retained resource keeps a name that the next creation of the stack reuses', (_name, scenario) => {
    const template = Template.fromStack(scenario.build().stack).toJSON();
    const retained = Object.entries(template.Resources as Record<string, Json>).filter(([, r]) => isRetained(r));
    expect(retained.length).toBeGreaterThan(0);

    const undecided = retained.filter(([, r]) => UNIQUE_NAME_PROPERTY[r.Type] === undefined && !NO_UNIQUE_NAME.has(r.Type));
    expect(undecided.map(([id, r]) => `${id} (${r.Type})`)).toEqual([]);

    const [first, second] = [retainedNames(template, 0), retainedNames(template, 1)];
    const reused = Object.keys(first).filter((id) => first[id] !== undefined && first[id] === second[id]);
    expect(reused.map((id) => `${id}: ${first[id]}`)).toEqual([]);
  });

  test('demo stack: cdk destroy retains the user pool, five log groups, the items table and its key, and the api gateway account setting and role', () => {
    const demo = SCENARIOS.find((s) => s.name === 'demo stack');
    const template = Template.fromStack(demo!.build().stack).toJSON();
    const retained = Object.entries(template.Resources as Record<string, Json>)
      .filter(([, r]) => isRetained(r))
      .map(([id, r]) => `${r.Type} ${id.replace(/[0-9A-F]{8}$/, '')}`)
      .sort();
    expect(retained).toEqual([
      'AWS::ApiGateway::Account SecureApiGatewayAccount',
      'AWS::Cognito::UserPool AuthUserPool',
      'AWS::DynamoDB::Table ItemsTable',
      'AWS::IAM::Role SecureApiGatewayAccountCloudWatchRole',
      'AWS::KMS::Key ItemsTableKey',
      'AWS::Logs::LogGroup ApiAccessLogs',
      'AWS::Logs::LogGroup ApiExecutionLogs',
      'AWS::Logs::LogGroup ApiJwtAuthorizerLogGroup',
      'AWS::Logs::LogGroup ApiWebAclLogGroup',
      'AWS::Logs::LogGroup ItemsLogGroup',
    ]);
    // The two names set in the template both change with the stack: the WAF group's with the stack id,
    // the execution log group's (`API-Gateway-Execution-Logs_<api id>/<stage>`) with the new API's id.
    const [first, second] = [retainedNames(template, 0), retainedNames(template, 1)];
    const named = Object.keys(first).filter((id) => first[id] !== undefined).sort();
    expect(named.map((id) => [id.replace(/[0-9A-F]{8}$/, ''), first[id], second[id]])).toEqual([
      ['ApiExecutionLogs', expect.stringMatching(/^API-Gateway-Execution-Logs_apirest.0\/prod$/), expect.stringMatching(/^API-Gateway-Execution-Logs_apirest.1\/prod$/)],
      ['ApiWebAclLogGroup', expect.stringMatching(/^aws-waf-logs-SecureApiDemo-Api-WebAcl-[0-9A-F]{8}-3c0ae1a0-/), expect.stringMatching(/^aws-waf-logs-SecureApiDemo-Api-WebAcl-[0-9A-F]{8}-7d41f2b0-/)],
    ]);
  });
});
