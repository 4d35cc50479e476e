/**
 * Every resource policy of every public scenario, evaluated for the service path it exists for.
 *
 * A resource policy replaces the service's default: an SNS topic policy removes the default that let
 * services of the account publish, a key policy is the only thing that lets a service use a key, a REST
 * API's resource policy decides who may invoke it at all. So each one is read whole, with the IAM
 * evaluator of the test fixtures, for the request the service really makes (and for a neighbour that
 * must be refused): CloudWatch alarms publishing to the alarm topic and using its key, CloudWatch Logs
 * using a log key, callers invoking the API from inside and outside `allowedSourceIps`, API Gateway
 * invoking the authorizer and backend functions, services assuming their roles. A resource that carries a
 * policy this test does not know fails it, so a new one cannot slip in unchecked.
 */
import { Template } from 'aws-cdk-lib/assertions';
import { evaluatePolicy, lambdaPermissionStatement, TemplateValues, type Json, type PolicyRequest } from '../fixtures/iam-policy-evaluator';
import { ENV, SCENARIOS } from './scenarios';

const ACCOUNT = ENV.account;
const REGION = ENV.region;
const OTHER_ACCOUNT = '210987654321';

/** Identity policies and properties whose name says "policy" but that grant nothing to anyone else. */
const NOT_RESOURCE_POLICIES = new Set([
  'AWS::IAM::Policy.PolicyDocument', 'AWS::IAM::Policy.PolicyName', 'AWS::IAM::ManagedPolicy.PolicyDocument', 'AWS::IAM::Role.Policies',
  'AWS::IAM::Role.ManagedPolicyArns', 'AWS::Cognito::UserPool.Policies', 'AWS::ApiGateway::DomainName.SecurityPolicy',
]);
/** Resources whose policy this test evaluates. */
const CHECKED = new Set(['AWS::SNS::TopicPolicy', 'AWS::KMS::Key', 'AWS::ApiGateway::RestApi', 'AWS::Lambda::Permission', 'AWS::IAM::Role']);

/** Whether a template value refers to a logical id (Ref or Fn::GetAtt), anywhere inside it. */
function refersTo(value: Json, logicalId: string): boolean {
  if (Array.isArray(value)) {
    return value.some((item) => refersTo(item, logicalId));
  }
  if (value === null || typeof value !== 'object') {
    return false;
  }
  if (value.Ref === logicalId || (Array.isArray(value['Fn::GetAtt']) && value['Fn::GetAtt'][0] === logicalId)) {
    return true;
  }
  return Object.values(value).some((item) => refersTo(item, logicalId));
}

/** The same ARN in another account. */
const inAccount = (arn: string, account: string): string => arn.split(':').map((part, i) => (i === 4 ? account : part)).join(':');
/** A concrete ARN a wildcard ARN pattern stands for. */
const concrete = (pattern: string): string => pattern.replace(/\*/g, 'x1').replace(/\?/g, 'x');

interface Finding {
  readonly resource: string;
  readonly path: string;
  readonly decision: string;
  readonly expected: string;
}

/** Evaluates the service paths of every resource policy of one template; returns what was checked and what failed. */
function auditResourcePolicies(template: Json): { checked: string[]; findings: Finding[] } {
  const values = new TemplateValues(template, { account: ACCOUNT, region: REGION });
  const resources: Record<string, Json> = template.Resources;
  const checked: string[] = [];
  const findings: Finding[] = [];
  const expect = (resource: string, path: string, policy: Json, request: PolicyRequest, expected: 'allow' | 'explicit-deny' | 'implicit-deny' | 'denied') => {
    const { decision } = evaluatePolicy(policy, request);
    const ok = expected === 'denied' ? decision !== 'allow' : decision === expected;
    checked.push(`${resource}: ${path} -> ${decision}`);
    if (!ok) {
      findings.push({ resource, path, decision, expected });
    }
  };
  const byType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
  const alarmsNotifying = (topicId: string) => byType('AWS::CloudWatch::Alarm').filter(([, alarm]) => refersTo(alarm.Properties?.AlarmActions, topicId));

  /** CloudWatch publishing for an alarm to an SNS topic (and using the topic's key). */
  const alarmRequests = (alarmArn: string) => ({
    publish: (topicArn: string, tls = true): PolicyRequest => ({
      principal: { service: 'cloudwatch.amazonaws.com' },
      action: 'sns:Publish',
      resource: topicArn,
      context: { 'aws:SourceAccount': alarmArn.split(':')[4]!, 'aws:SourceArn': alarmArn, 'aws:SecureTransport': tls },
    }),
    useKey: (keyArn: string, action: string): PolicyRequest => ({
      principal: { service: 'cloudwatch.amazonaws.com' },
      action,
      resource: keyArn,
      context: { 'aws:SourceAccount': alarmArn.split(':')[4]!, 'aws:SourceArn': alarmArn, 'kms:ViaService': `sns.${REGION}.amazonaws.com` },
    }),
  });

  for (const [id, resource] of byType('AWS::SNS::TopicPolicy')) {
    const policy = values.resolve(resource.Properties.PolicyDocument);
    for (const topicRef of resource.Properties.Topics as Json[]) {
      const topicArn = values.resolve(topicRef) as string;
      const alarms = alarmsNotifying(topicRef.Ref);
      if (alarms.length === 0) {
        findings.push({ resource: id, path: `who publishes to ${topicArn}?`, decision: 'unknown', expected: 'a known publisher' });
      }
      for (const [alarmId] of alarms) {
        const own = alarmRequests(values.getAtt(alarmId, 'Arn'));
        const foreign = alarmRequests(inAccount(values.getAtt(alarmId, 'Arn'), OTHER_ACCOUNT));
        expect(id, `alarm ${alarmId} publishes over TLS`, policy, own.publish(topicArn), 'allow');
        expect(id, `alarm ${alarmId} publishes over plain HTTP`, policy, own.publish(topicArn, false), 'explicit-deny');
        expect(id, `another account's alarm publishes`, policy, foreign.publish(topicArn), 'denied');
      }
    }
  }

  for (const [id, resource] of byType('AWS::KMS::Key')) {
    const policy = values.resolve(resource.Properties.KeyPolicy);
    const keyArn = values.getAtt(id, 'Arn');
    // The account keeps administering its key through IAM: a key policy that drops this locks the key.
    expect(id, 'an administrator of the account manages the key', policy, { principal: { arn: `arn:aws:iam::${ACCOUNT}:role/admin` }, action: 'kms:PutKeyPolicy', resource: keyArn }, 'allow');
    expect(id, 'another account manages the key', policy, { principal: { arn: `arn:aws:iam::${OTHER_ACCOUNT}:role/admin` }, action: 'kms:PutKeyPolicy', resource: keyArn }, 'denied');
    const users = Object.entries(resources).filter(([other, r]) => other !== id && refersTo(r.Properties, id));
    for (const [userId, user] of users) {
      switch (user.Type) {
        case 'AWS::Logs::LogGroup': {
          const logGroupArn = `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${values.ref(userId)}`;
          const logs = (action: string, arn: string): PolicyRequest => ({
            principal: { service: `logs.${REGION}.amazonaws.com` },
            action,
            resource: keyArn,
            context: { 'kms:EncryptionContext:aws:logs:arn': arn },
          });
          for (const action of ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey', 'kms:ReEncryptFrom']) {
            expect(id, `CloudWatch Logs ${action} for log group ${userId}`, policy, logs(action, logGroupArn), 'allow');
          }
          expect(id, `CloudWatch Logs for another account's log group`, policy, logs('kms:Decrypt', inAccount(logGroupArn, OTHER_ACCOUNT)), 'denied');
          break;
        }
        case 'AWS::SNS::Topic':
          for (const [alarmId] of alarmsNotifying(userId)) {
            const own = alarmRequests(values.getAtt(alarmId, 'Arn'));
            const foreign = alarmRequests(inAccount(values.getAtt(alarmId, 'Arn'), OTHER_ACCOUNT));
            for (const action of ['kms:GenerateDataKey', 'kms:Decrypt']) {
              expect(id, `alarm ${alarmId} ${action} for topic ${userId}`, policy, own.useKey(keyArn, action), 'allow');
              expect(id, `another account's alarm ${action}`, policy, foreign.useKey(keyArn, action), 'denied');
            }
          }
          break;
        case 'AWS::DynamoDB::Table': {
          // DynamoDB uses the key on behalf of the caller: the key policy must let the account's IAM
          // principals (the function's role, through its own policy) use it through DynamoDB.
          const role = (account: string): PolicyRequest => ({
            principal: { arn: `arn:aws:iam::${account}:role/items-function` },
            action: 'kms:Decrypt',
            resource: keyArn,
            context: { 'kms:ViaService': `dynamodb.${REGION}.amazonaws.com`, 'kms:CallerAccount': account },
          });
          expect(id, `a role of the account through DynamoDB for table ${userId}`, policy, role(ACCOUNT), 'allow');
          expect(id, `a role of another account through DynamoDB`, policy, role(OTHER_ACCOUNT), 'denied');
          break;
        }
        case 'AWS::IAM::Policy':
          // A grant of the key to a role: an identity policy, whose key side is the account statement above.
          break;
        default:
          findings.push({ resource: id, path: `the key is used by ${userId} (${user.Type}), a path this test does not know`, decision: 'unknown', expected: 'a known key user' });
      }
    }
  }

  for (const [id, resource] of byType('AWS::ApiGateway::RestApi')) {
    if (resource.Properties?.Policy === undefined) {
      continue;
    }
    const apiPrefix = `arn:aws:execute-api:${REGION}:${ACCOUNT}:${values.ref(id)}/`;
    // API Gateway reads `execute-api:/` as this API's ARN.
    const policy = JSON.parse(JSON.stringify(values.resolve(resource.Properties.Policy)).replace(/"execute-api:\//g, `"${apiPrefix}`));
    const invoke = (ip: string | undefined): PolicyRequest => ({
      principal: { anonymous: true },
      action: 'execute-api:Invoke',
      resource: `${apiPrefix}prod/GET/orders`,
      context: ip === undefined ? {} : { 'aws:SourceIp': ip },
    });
    const allowed = (JSON.stringify(policy).match(/"(\d+\.\d+\.\d+\.\d+|[0-9a-f:]+:[0-9a-f:]*)\/\d+"/g) ?? []).map((cidr) => JSON.parse(cidr).split('/')[0].replace(/::$/, '::1').replace(/\.0$/, '.7'));
    for (const ip of allowed) {
      expect(id, `a caller from ${ip} invokes the API`, policy, invoke(ip), 'allow');
    }
    expect(id, 'a caller from 198.51.100.9 invokes the API', policy, invoke('198.51.100.9'), 'explicit-deny');
    expect(id, 'a caller from 2001:db9::1 invokes the API', policy, invoke('2001:db9::1'), 'explicit-deny');
    expect(id, 'a caller without a source address (a VPC endpoint) invokes the API', policy, invoke(undefined), 'explicit-deny');
  }

  for (const [id, resource] of byType('AWS::Lambda::Permission')) {
    const permission = values.resolve(resource.Properties);
    const functionArn = permission.FunctionName as string;
    const policy = { Statement: [lambdaPermissionStatement(permission, functionArn)] };
    if (permission.SourceArn === undefined && permission.SourceAccount === undefined) {
      findings.push({ resource: id, path: 'a service may invoke the function for any account', decision: 'allow', expected: 'SourceArn or SourceAccount' });
      continue;
    }
    const sourceArn = concrete(permission.SourceArn as string);
    const invoke = (arn: string, account: string): PolicyRequest => ({
      principal: { service: permission.Principal },
      action: 'lambda:InvokeFunction',
      resource: functionArn,
      context: { 'AWS:SourceArn': arn, 'AWS:SourceAccount': account },
    });
    expect(id, `${permission.Principal} invokes from ${sourceArn}`, policy, invoke(sourceArn, ACCOUNT), 'allow');
    expect(id, `${permission.Principal} invokes for another account's API`, policy, invoke(inAccount(sourceArn, OTHER_ACCOUNT), OTHER_ACCOUNT), 'denied');
  }

  for (const [id, resource] of byType('AWS::IAM::Role')) {
    const policy = values.resolve(resource.Properties.AssumeRolePolicyDocument);
    const roleArn = values.getAtt(id, 'Arn');
    const services = (policy.Statement as Json[]).flatMap((s) => [s.Principal?.Service ?? []].flat()) as string[];
    for (const service of services) {
      expect(id, `${service} assumes the role`, policy, { principal: { service }, action: 'sts:AssumeRole', resource: roleArn }, 'allow');
    }
    expect(id, 'another service assumes the role', policy, { principal: { service: 'ec2.amazonaws.com' }, action: 'sts:AssumeRole', resource: roleArn }, 'denied');
    expect(id, 'another account assumes the role', policy, { principal: { arn: `arn:aws:iam::${OTHER_ACCOUNT}:root` }, action: 'sts:AssumeRole', resource: roleArn }, 'denied');
  }

  // Anything else that carries a policy must be added above before it can pass.
  for (const [id, resource] of Object.entries(resources)) {
    for (const property of Object.keys(resource.Properties ?? {})) {
      const name = `${resource.Type}.${property}`;
      if (/polic/i.test(property) && !NOT_RESOURCE_POLICIES.has(name) && !(CHECKED.has(resource.Type))) {
        findings.push({ resource: id, path: `${name} is a policy this test does not evaluate`, decision: 'unknown', expected: 'evaluated' });
      }
    }
    if (['AWS::Logs::ResourcePolicy', 'AWS::S3::BucketPolicy', 'AWS::SQS::QueuePolicy', 'AWS::Events::EventBusPolicy', 'AWS::SecretsManager::ResourcePolicy'].includes(resource.Type)) {
      findings.push({ resource: id, path: `${resource.Type} is a resource policy this test does not evaluate`, decision: 'unknown', expected: 'evaluated' });
    }
  }
  return { checked, findings };
}

/** Each scenario is synthesized and audited once. */
const audits = new Map<string, ReturnType<typeof auditResourcePolicies>>();
function auditOf(name: string): ReturnType<typeof auditResourcePolicies> {
  let audit = audits.get(name);
  if (!audit) {
    const { stack } = SCENARIOS.find((scenario) => scenario.name === name)!.build();
    audit = auditResourcePolicies(Template.fromStack(stack).toJSON());
    audits.set(name, audit);
  }
  return audit;
}

describe('resource policies', () => {
  test.each(SCENARIOS.map((scenario) => [scenario.name]))('every resource policy of the %s lets its service path through and refuses its neighbours', (name) => {
    const { checked, findings } = auditOf(name);
    expect(findings).toEqual([]);
    expect(checked.length).toBeGreaterThan(0);
  });

  test('the demo stack\'s alarm topic, its key, the authorizer and backend permissions and every role are among the paths checked', () => {
    const { checked } = auditOf('demo stack');
    const summary = checked.map((line) => line.replace(/^\S+: /, '').replace(/[A-Z][A-Za-z0-9]+[0-9A-F]{8}/g, '<id>'));
    expect(summary).toEqual(expect.arrayContaining([
      'alarm <id> publishes over TLS -> allow',
      'alarm <id> publishes over plain HTTP -> explicit-deny',
      "another account's alarm publishes -> implicit-deny",
      'alarm <id> kms:GenerateDataKey for topic <id> -> allow',
      "another account's alarm kms:GenerateDataKey -> implicit-deny",
      'apigateway.amazonaws.com invokes for another account\'s API -> implicit-deny',
      'lambda.amazonaws.com assumes the role -> allow',
    ]));
  });

  test('the all-options scenario\'s log key, source-address policy and permissions are among the paths checked', () => {
    const { checked } = auditOf('secure api with all options');
    const summary = checked.map((line) => line.replace(/^\S+: /, '').replace(/[A-Z][A-Za-z0-9]+[0-9A-F]{8}/g, '<id>'));
    expect(summary).toEqual(expect.arrayContaining([
      'CloudWatch Logs kms:Encrypt for log group <id> -> allow',
      "CloudWatch Logs for another account's log group -> implicit-deny",
      'a caller from 203.0.113.7 invokes the API -> allow',
      'a caller from 2001:db8::1 invokes the API -> allow',
      'a caller from 198.51.100.9 invokes the API -> explicit-deny',
      'a caller without a source address (a VPC endpoint) invokes the API -> explicit-deny',
    ]));
  });
});
