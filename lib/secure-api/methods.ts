import { Stack } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';

/**
 * Every method of a REST API, those added by `SecureApi.addRoute()` and those added on the REST API directly.
 *
 * @param restApi the REST API
 * @returns its methods, in construct tree order
 */
export function methodsOf(restApi: apigw.RestApi): apigw.Method[] {
  return restApi.node.findAll().filter((child): child is apigw.Method => child instanceof apigw.Method);
}

/**
 * @param method a method
 * @returns its authorization type; `NONE` when it has none
 */
export function authorizationTypeOf(method: apigw.Method): string {
  const cfn = method.node.defaultChild as apigw.CfnMethod;
  return Stack.of(method).resolve(cfn.authorizationType) ?? apigw.AuthorizationType.NONE;
}

/**
 * @param method a method
 * @param authorizer an API Gateway authorizer
 * @returns whether the method is behind that authorizer
 */
export function usesAuthorizer(method: apigw.Method, authorizer: apigw.IAuthorizer): boolean {
  return (method.node.defaultChild as apigw.CfnMethod).authorizerId === authorizer.authorizerId;
}

/**
 * HTTP and HTTP_PROXY integrations reach a backend over the network, where a client certificate applies.
 *
 * @param method a method
 * @returns whether its integration is HTTP or HTTP_PROXY
 */
export function isHttpIntegration(method: apigw.Method): boolean {
  const integration = Stack.of(method).resolve((method.node.defaultChild as apigw.CfnMethod).integration) as { type?: string } | undefined;
  return integration?.type === 'HTTP' || integration?.type === 'HTTP_PROXY';
}

/**
 * CORS preflights are OPTIONS methods on a MOCK integration: they cannot reach a backend.
 *
 * @param method a method
 * @returns whether it is a CORS preflight
 */
export function isCorsPreflight(method: apigw.Method): boolean {
  const cfn = method.node.defaultChild as apigw.CfnMethod;
  const integration = Stack.of(method).resolve(cfn.integration) as { type?: string } | undefined;
  return method.httpMethod === 'OPTIONS' && integration?.type === 'MOCK';
}
