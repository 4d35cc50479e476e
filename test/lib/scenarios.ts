/**
 * The public scenarios that the snapshot and cdk-nag tests cover: the deployable demo and three ways a
 * platform team uses the constructs. Each builds a fresh app; account and region are fixed so that the
 * templates are the same on every machine.
 */
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { ApiScope } from '../../lib/authorizer/api-scope';
import { CognitoOAuth } from '../../lib/cognito-oauth';
import { restrictGrantsToAwsServices } from '../../lib/key-policies';
import { SecureApi } from '../../lib/secure-api/secure-api';
import { SecureApiMonitoring } from '../../lib/monitoring/secure-api-monitoring';
import { SecureApiStack } from '../../lib/demo/secure-api-stack';
import { TokenIssuer } from '../../lib/authorizer/token-issuer';

export const ENV = { account: '123456789012', region: 'eu-west-1' };

/** A named scenario: its app and the stack under test. */
export interface Scenario {
  readonly name: string;
  /** Builds the scenario in the given app, or in a new one. */
  readonly build: (app?: App) => { app: App; stack: Stack };
}

function backend(path: string): apigw.Integration {
  return new apigw.HttpIntegration(`https://backend.example.com${path}`, { proxy: true });
}

export const SCENARIOS: Scenario[] = [
  {
    name: 'demo stack',
    build: (app = new App()) => {
      return { app, stack: new SecureApiStack(app, 'SecureApiDemo') };
    },
  },
  {
    name: 'minimal secure api with an external oidc issuer',
    build: (app = new App()) => {
      const stack = new Stack(app, 'MinimalOidcApi', { env: ENV });
      const api = new SecureApi(stack, 'Api', {
        issuers: [TokenIssuer.oidc({ issuerUrl: 'https://login.example.com/', audiences: ['https://api.example.com'] })],
      });
      const read = ApiScope.of('https://api.example.com', 'orders.read', 'Read orders');
      api.addRoute('GET /orders', backend('/orders'), { scopes: [read] });
      return { app, stack };
    },
  },
  {
    name: 'secure api with a bring-your-own user pool',
    build: (app = new App()) => {
      const stack = new Stack(app, 'ExistingPoolApi', { env: ENV });
      const userPool = cognito.UserPool.fromUserPoolId(stack, 'UserPool', 'eu-west-1_AbCdEfGhI');
      const api = new SecureApi(stack, 'Api', {
        issuers: [TokenIssuer.cognito({ userPool, clientIds: ['4example5client6id7abcdefgh'] })],
      });
      const read = ApiScope.of('orders', 'read', 'Read orders');
      const write = ApiScope.of('orders', 'write', 'Write orders');
      api.addRoute('GET /orders', backend('/orders'), { scopes: [read] });
      api.addRoute('GET /orders/{id}', backend('/orders/{id}'), { scopes: [read] });
      api.addRoute('PUT /orders/{id}', backend('/orders/{id}'), { scopes: [write] });
      return { app, stack };
    },
  },
  {
    name: 'secure api with all options',
    build: (app = new App()) => {
      const stack = new Stack(app, 'AllOptionsApi', { env: ENV });
      const read = ApiScope.of('orders', 'read', 'Read orders');
      const write = ApiScope.of('orders', 'write', 'Write orders');
      const logKey = new kms.Key(stack, 'LogKey', { enableKeyRotation: true, description: 'Audit logs' });
      restrictGrantsToAwsServices(logKey);
      const certificate = acm.Certificate.fromCertificateArn(stack, 'Certificate', 'arn:aws:acm:eu-west-1:123456789012:certificate/11111111-2222-3333-4444-555555555555');
      const auth = new CognitoOAuth(stack, 'Auth', {
        scopes: [read, write],
        featurePlan: cognito.FeaturePlan.PLUS,
        domainPrefix: 'orders-auth-example',
        accessTokenValidity: Duration.minutes(15),
        machineClient: { clientName: 'orders-machine', scopes: [read] },
        webClient: { clientName: 'orders-console', callbackUrls: ['https://console.example.com/callback'], logoutUrls: ['https://console.example.com/'] },
      });
      const api = new SecureApi(stack, 'Api', {
        issuers: [
          auth.issuer(),
          TokenIssuer.oidc({
            issuerUrl: 'https://login.partner.example.com',
            audiences: ['https://orders.example.com'],
            discovery: true,
            algorithms: ['RS256', 'ES256'],
            requiredTyp: 'at+jwt',
          }),
        ],
        restApiName: 'orders',
        description: 'Orders API',
        stageName: 'v1',
        throttle: { rateLimit: 50, burstLimit: 100 },
        authorizerCacheTtl: Duration.minutes(1),
        authorizerOptions: { clockSkew: Duration.seconds(30), maxTokenAge: Duration.hours(1), tracing: true, reservedConcurrentExecutions: 20 },
        logRetention: logs.RetentionDays.SIX_MONTHS,
        logEncryptionKey: logKey,
        executionLogLevel: 'INFO',
        cors: { allowOrigins: ['https://console.example.com'] },
        domain: { domainName: 'orders.example.com', certificate },
        allowedSourceIps: ['203.0.113.0/24', '2001:db8::/32'],
        webAclOptions: {
          rateLimit: { limit: 500, window: Duration.minutes(1) },
          managedRuleGroups: { sqlInjection: true },
        },
      });
      api.addRoute('GET /health', new apigw.MockIntegration({ integrationResponses: [{ statusCode: '200' }], requestTemplates: { 'application/json': '{"statusCode": 200}' } }), {
        public: true,
        methodOptions: { methodResponses: [{ statusCode: '200' }] },
      });
      api.addRoute('GET /orders', backend('/orders'), { scopes: [read], throttle: { rateLimit: 20, burstLimit: 40 } });
      api.addRoute('POST /orders', backend('/orders'), {
        scopes: [write],
        requestModel: { type: apigw.JsonSchemaType.OBJECT, required: ['sku'], properties: { sku: { type: apigw.JsonSchemaType.STRING } } },
      });
      api.addRoute('DELETE /orders/{id}', backend('/orders/{id}'), {
        scopes: [write],
        conditions: [{ claim: 'cognito:groups', contains: 'order-admins' }],
      });
      api.addRoute('ANY /files/{proxy+}', backend('/files/{proxy}'), { authenticatedOnly: true });
      return { app, stack };
    },
  },
];

/**
 * Scenarios of the data-protection and revocation options, for the cdk-nag tests (kept out of SCENARIOS and
 * its whole-template snapshots).
 */
export const DATA_PROTECTION_SCENARIOS: Scenario[] = [
  {
    name: 'secure api with revocation, the pseudonymous profile and retention per log',
    build: (app = new App()) => {
      const stack = new Stack(app, 'RevocationApi', { env: ENV });
      const api = new SecureApi(stack, 'Api', {
        issuers: [TokenIssuer.oidc({ issuerUrl: 'https://login.example.com/', audiences: ['https://api.example.com'] })],
        logProfile: 'pseudonymous',
        logRetention: { access: logs.RetentionDays.THREE_MONTHS, decision: logs.RetentionDays.SIX_MONTHS, waf: logs.RetentionDays.ONE_MONTH },
        revocation: { refresh: Duration.seconds(10) },
      });
      api.addRoute('GET /orders', backend('/orders'), { scopes: [ApiScope.of('https://api.example.com', 'orders.read', 'Read orders')] });
      new SecureApiMonitoring(stack, 'Monitoring', {
        restApi: api.restApi,
        stage: api.stage,
        authorizerFunction: api.authorizerFunction,
        authorizerLogGroup: api.authorizerLogGroup,
        accessLogGroup: api.accessLogGroup,
        webAcl: api.webAcl,
        denyListTable: api.revocation?.table,
      });
      return { app, stack };
    },
  },
  {
    name: 'demo stack with revocation and the minimal profile',
    build: (app = new App()) => {
      return { app, stack: new SecureApiStack(app, 'SecureApiDemo', { logProfile: 'minimal', revocation: true }) };
    },
  },
];
