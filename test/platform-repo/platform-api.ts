/**
 * What a company platform repository writes on top of the package: its own construct with the company's
 * defaults, built only from the package's public entry point (as `import ... from 'cdk-secure-api'`).
 */
import { Duration, RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ApiScope, SecureApi, SecureApiProps, TokenIssuer } from '../../lib';

/** The company's shared identity platform: one user pool for every team, plus the corporate IdP. */
export const COMPANY = {
  userPoolId: 'eu-west-1_Platform01',
  teamClientIds: ['7team8orders9client0abcdefg'],
  corporateIssuer: 'https://sso.example-corp.com/oauth2/default',
  corporateAudience: 'api://orders',
} as const;

/** Props of the platform's API construct: everything of SecureApi except what the platform decides. */
export interface PlatformApiProps extends Omit<SecureApiProps, 'issuers' | 'logRetention' | 'executionLogLevel'> {
  /** The team's app clients in the shared user pool. */
  readonly clientIds: string[];
}

/** The platform team's API: SecureApi with the company's issuers and stricter logging defaults. */
export class PlatformApi extends Construct {
  public readonly api: SecureApi;

  constructor(scope: Construct, id: string, props: PlatformApiProps) {
    super(scope, id);
    const userPool = cognito.UserPool.fromUserPoolId(this, 'SharedUserPool', COMPANY.userPoolId);
    this.api = new SecureApi(this, 'Api', {
      ...props,
      issuers: [
        TokenIssuer.cognito({ userPool, clientIds: props.clientIds }),
        TokenIssuer.oidc({ issuerUrl: COMPANY.corporateIssuer, audiences: [COMPANY.corporateAudience], requiredTyp: 'at+jwt' }),
      ],
      logRetention: logs.RetentionDays.TWO_YEARS,
      logRemovalPolicy: RemovalPolicy.RETAIN,
      executionLogLevel: 'ERROR',
    });
  }
}

/** A team's stack in the platform repository. */
export class OrdersStack extends Stack {
  public readonly platformApi: PlatformApi;

  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, props);
    const read = ApiScope.of('orders', 'read', 'Read orders');
    const write = ApiScope.of('orders', 'write', 'Place and cancel orders');
    this.platformApi = new PlatformApi(this, 'Orders', {
      clientIds: [...COMPANY.teamClientIds],
      stageName: 'live',
      throttle: { rateLimit: 20, burstLimit: 40 },
      authorizerCacheTtl: Duration.minutes(2),
      authorizerOptions: { clockSkew: Duration.seconds(15), keyFetchTimeout: Duration.seconds(1) },
    });
    const backend = (path: string) => new apigw.HttpIntegration(`https://orders.internal.example-corp.com${path}`, { proxy: true });
    const api = this.platformApi.api;
    api.addRoute('GET /orders', backend('/orders'), { scopes: [read] });
    api.addRoute('GET /orders/{orderId}', backend('/orders/{orderId}'), { scopes: [read] });
    api.addRoute('POST /orders', backend('/orders'), { scopes: [write], throttle: { rateLimit: 5, burstLimit: 10 } });
    api.addRoute('DELETE /orders/{orderId}', backend('/orders/{orderId}'), {
      scopes: [write],
      conditions: [{ claim: 'cognito:groups', contains: 'order-managers' }],
    });
  }
}
