import type { Stack } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { SecureApiMonitoringProps } from '../../../lib/monitoring/secure-api-monitoring';

/** A REST API, its stage, an authorizer function and the two log groups: a stand-in for `SecureApi`. */
export function standIn(stack: Stack): Omit<SecureApiMonitoringProps, 'alarmTopic'> {
  const accessLogGroup = new logs.LogGroup(stack, 'AccessLogs', { retention: logs.RetentionDays.ONE_YEAR });
  const restApi = new apigw.RestApi(stack, 'Api', {
    cloudWatchRole: false,
    deployOptions: { accessLogDestination: new apigw.LogGroupLogDestination(accessLogGroup) },
  });
  restApi.root.addMethod('GET', new apigw.MockIntegration());
  const authorizerFunction = new lambda.Function(stack, 'Authorizer', {
    runtime: lambda.Runtime.NODEJS_24_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => { throw new Error("Unauthorized"); };'),
  });
  const authorizerLogGroup = new logs.LogGroup(stack, 'AuthorizerLogs', { retention: logs.RetentionDays.ONE_YEAR });
  return { restApi, stage: restApi.deploymentStage, authorizerFunction, authorizerLogGroup, accessLogGroup };
}
