import { App, Stack } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { ApiScope, SecureApi, TokenIssuer } from '../../../lib';

const READ = ApiScope.of('https://api.example.com', 'items.read', 'Read items');
const WRITE = ApiScope.of('https://api.example.com', 'items.write', 'Write items');
const mock = () => new apigw.MockIntegration();

function secureApi(issuerCount = 1, clientsPerIssuer = 1) {
  const app = new App();
  const stack = new Stack(app, 'Stack', { env: { account: '123456789012', region: 'eu-west-1' } });
  const issuers = Array.from({ length: issuerCount }, (_, i) => {
    const userPool = new cognito.UserPool(stack, `Pool${i}`);
    const clients = Array.from({ length: clientsPerIssuer }, (__, j) => userPool.addClient(`Client${j}`));
    return TokenIssuer.cognito({ userPool, clients });
  });
  const api = new SecureApi(stack, 'Api', { issuers });
  return { app, stack, api };
}

function deploymentLogicalId(template: Template): string {
  const ids = Object.keys(template.findResources('AWS::ApiGateway::Deployment'));
  expect(ids).toHaveLength(1);
  return ids[0]!;
}

describe('SecureApi routes', () => {
  test('happy flow: routes create their resources and land in the route table', () => {
    const { stack, api } = secureApi();
    api.addRoute('GET /items', mock(), { scopes: [READ] });
    api.addRoute('POST /items', mock(), { scopes: [WRITE, READ, WRITE] });
    api.addRoute('GET /items/{id}', mock(), { scopes: [READ], conditions: [{ claim: 'cognito:groups', contains: 'staff' }] });
    api.addRoute('ANY /files/{proxy+}', mock(), { authenticatedOnly: true });
    api.addRoute('GET /', mock(), { public: true });

    expect(api.routes()).toEqual([
      { method: 'GET', path: '/items', scopes: ['https://api.example.com/items.read'], public: false },
      { method: 'POST', path: '/items', scopes: ['https://api.example.com/items.read', 'https://api.example.com/items.write'], public: false },
      { method: 'GET', path: '/items/{id}', scopes: ['https://api.example.com/items.read'], public: false },
      { method: 'ANY', path: '/files/{proxy+}', scopes: [], public: false },
      { method: 'GET', path: '/', scopes: [], public: true },
    ]);
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: '{proxy+}' });
    template.hasResourceProperties('AWS::ApiGateway::Method', { HttpMethod: 'ANY', AuthorizationType: 'CUSTOM' });

    const config = JSON.parse(api.authorizer.configJson) as { routes: unknown[]; cacheKeyScope: string };
    expect(config.cacheKeyScope).toBe('token');
    // Sorted by path, then method; public routes never reach the authorizer and are not listed.
    expect(config.routes).toEqual([
      { method: 'ANY', path: '/files/{proxy+}', scopes: [], conditions: [] },
      { method: 'GET', path: '/items', scopes: ['https://api.example.com/items.read'], conditions: [] },
      {
        method: 'POST',
        path: '/items',
        scopes: ['https://api.example.com/items.read', 'https://api.example.com/items.write'],
        conditions: [],
      },
      {
        method: 'GET',
        path: '/items/{id}',
        scopes: ['https://api.example.com/items.read'],
        conditions: [{ claim: 'cognito:groups', contains: 'staff' }],
      },
    ]);
  });

  test.each([
    ['FETCH /items', "'route' must be '<METHOD> <path>' with METHOD one of DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT, ANY (received: 'FETCH /items')"],
    ['get /items', "'route' must be '<METHOD> <path>' with METHOD one of DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT, ANY (received: 'get /items')"],
    ['GET items', "'route' path must start with '/' (received: 'GET items')"],
    ['GET /items/', "'route' path must not have empty segments (received: 'GET /items/')"],
    ['GET /{proxy+}/items', "'route' path may have a greedy {name+} segment only as its last segment (received: 'GET /{proxy+}/items')"],
    ['GET /items/{id', "'route' path segment '{id' must be a literal or a whole {param} with a name of [A-Za-z0-9_]+ (received: 'GET /items/{id')"],
  ])('throws when the route %s is malformed', (route, message) => {
    const { api } = secureApi();
    expect(() => api.addRoute(route, mock(), { scopes: [READ] })).toThrow(message);
  });

  test('throws when two variable segments share a level', () => {
    const { api } = secureApi();
    api.addRoute('GET /items/{id}', mock(), { scopes: [READ] });
    expect(() => api.addRoute('DELETE /items/{itemId}', mock(), { scopes: [WRITE] })).toThrow(
      "'route' may have one variable segment per level: '{itemId}' conflicts with '{id}' under '/items' (received: 'DELETE /items/{itemId}')",
    );
  });

  test('throws when a route is declared twice', () => {
    const { api } = secureApi();
    api.addRoute('GET /items', mock(), { scopes: [READ] });
    expect(() => api.addRoute('GET /items', mock(), { scopes: [WRITE] })).toThrow("'route' must be declared once (received: 'GET /items' twice)");
  });

  test('routes() reads the authorizer route table: routes added to the authorizer directly are listed, public routes keep their place', () => {
    const { api } = secureApi();
    api.addRoute('GET /health', mock(), { public: true });
    api.addRoute('GET /items', mock(), { scopes: [READ] });
    api.restApi.root.addResource('direct').addMethod('POST', mock());
    api.authorizer.addRoute({ method: 'POST', path: '/direct', scopes: [WRITE.fullName] });
    api.addRoute('GET /status', mock(), { public: true });
    api.addRoute('DELETE /items', mock(), { scopes: [WRITE] });

    expect(api.routes()).toEqual([
      { method: 'GET', path: '/health', scopes: [], public: true },
      { method: 'GET', path: '/items', scopes: ['https://api.example.com/items.read'], public: false },
      { method: 'POST', path: '/direct', scopes: ['https://api.example.com/items.write'], public: false },
      { method: 'GET', path: '/status', scopes: [], public: true },
      { method: 'DELETE', path: '/items', scopes: ['https://api.example.com/items.write'], public: false },
    ]);
    expect(api.routes().filter((route) => !route.public).map((route) => `${route.method} ${route.path}`).sort()).toEqual(
      api.authorizer.routes.map((route) => `${route.method} ${route.path}`).sort(),
    );
    // A copy: changing it changes neither the authorizer's table nor the next answer.
    (api.routes()[1]!.scopes as string[]).push('injected');
    expect(api.routes()[1]!.scopes).toEqual(['https://api.example.com/items.read']);
    expect(api.authorizer.routes.find((route) => route.path === '/items' && route.method === 'GET')?.scopes).toEqual(['https://api.example.com/items.read']);
  });

  test('throws when a public route is declared twice, or a route repeats one added to the authorizer directly, before making a method', () => {
    const { api } = secureApi();
    api.addRoute('GET /health', mock(), { public: true });
    expect(() => api.addRoute('GET /health', mock(), { public: true })).toThrow("'route' must be declared once (received: 'GET /health' twice)");
    expect(() => api.addRoute('GET /health', mock(), { scopes: [READ] })).toThrow("'route' must be declared once (received: 'GET /health' twice)");
    api.authorizer.addRoute({ method: 'POST', path: '/direct', scopes: [WRITE.fullName] });
    expect(() => api.addRoute('POST /direct', mock(), { scopes: [WRITE] })).toThrow("'route' must be declared once (received: 'POST /direct' twice)");
    expect(api.restApi.root.getResource('direct')).toBeUndefined();
  });

  test('throws when a protected route names neither scopes nor conditions', () => {
    const { api } = secureApi();
    expect(() => api.addRoute('GET /items', mock())).toThrow(
      "'scopes' must name at least one scope (or 'conditions' one condition) for protected route 'GET /items'; set 'authenticatedOnly: true' to accept any valid token, or 'public: true' for no authentication (received: none)",
    );
  });

  test('throws when a public route declares scopes', () => {
    const { api } = secureApi();
    expect(() => api.addRoute('GET /items', mock(), { public: true, scopes: [READ] })).toThrow(
      "'public' routes must not declare 'scopes', 'conditions' or 'authenticatedOnly' (received: 'GET /items')",
    );
  });

  test('throws when method options try to set the authorization', () => {
    const { api } = secureApi();
    expect(() =>
      api.addRoute('GET /items', mock(), { scopes: [READ], methodOptions: { authorizationType: apigw.AuthorizationType.NONE } }),
    ).toThrow(
      "'methodOptions.authorizationType' must not be set: use the route options 'public', 'scopes', 'requestModel', 'requestParameters' and 'apiKeyRequired' (received: 'GET /items')",
    );
  });

  test('throws when a claim condition sets both contains and equals', () => {
    const { api } = secureApi();
    expect(() => api.addRoute('GET /items', mock(), { conditions: [{ claim: 'tier', contains: 'gold', equals: 'gold' }] })).toThrow(
      `'conditions' must set exactly one of 'contains' and 'equals' (received: {"claim":"tier","contains":"gold","equals":"gold"} on 'GET /items')`,
    );
  });

  test('route throttling becomes a method setting that keeps the stage logging settings', () => {
    const { stack, api } = secureApi();
    api.addRoute('GET /items', mock(), { scopes: [READ] });
    api.addRoute('POST /items/{id}/notes', mock(), { scopes: [WRITE], throttle: { rateLimit: 2, burstLimit: 4 } });
    api.addRoute('ANY /files/{proxy+}', mock(), { scopes: [READ], throttle: { rateLimit: 1, burstLimit: 1 } });
    Template.fromStack(stack).hasResourceProperties('AWS::ApiGateway::Stage', {
      MethodSettings: [
        Match.objectLike({ HttpMethod: '*', ResourcePath: '/*', ThrottlingRateLimit: 100 }),
        {
          HttpMethod: 'POST',
          ResourcePath: '/~1items~1{id}~1notes',
          ThrottlingRateLimit: 2,
          ThrottlingBurstLimit: 4,
          LoggingLevel: 'ERROR',
          DataTraceEnabled: false,
          MetricsEnabled: true,
        },
        Match.objectLike({ HttpMethod: '*', ResourcePath: '/~1files~1{proxy+}', ThrottlingRateLimit: 1 }),
      ],
    });
  });

  test('request models and parameters are validated by the request validator', () => {
    const { stack, api } = secureApi();
    api.addRoute('POST /items', mock(), {
      scopes: [WRITE],
      requestModel: { type: apigw.JsonSchemaType.OBJECT, required: ['name'], properties: { name: { type: apigw.JsonSchemaType.STRING } } },
    });
    api.addRoute('GET /items', mock(), { scopes: [READ], requestParameters: { 'method.request.querystring.page': true } });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::ApiGateway::Model', {
      ContentType: 'application/json',
      Schema: Match.objectLike({ required: ['name'] }),
    });
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'POST',
      RequestModels: { 'application/json': { Ref: Match.stringLikeRegexp('PostItemsModel') } },
      RequestValidatorId: { Ref: Match.stringLikeRegexp('^ApiRestApiRequestValidator') },
    });
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'GET',
      RequestParameters: { 'method.request.querystring.page': true },
      RequestValidatorId: { Ref: Match.stringLikeRegexp('^ApiRestApiRequestValidator') },
    });
  });

  test('identity sources include the method and resource path in route mode', () => {
    const { stack, api } = secureApi();
    api.addRoute('GET /files/{proxy+}', mock(), { scopes: [READ] });
    api.addRoute('GET /files/readme', mock(), { scopes: [WRITE] });
    Template.fromStack(stack).hasResourceProperties('AWS::ApiGateway::Authorizer', {
      IdentitySource: 'method.request.header.Authorization,context.httpMethod,context.resourcePath',
    });
    expect(api.authorizer.cacheKeyScope).toBe('route');
    expect(JSON.parse(api.authorizer.configJson).cacheKeyScope).toBe('route');
  });

  test('deployment logical id changes when a route scope changes', () => {
    const build = (scope: ApiScope) => {
      const { stack, api } = secureApi();
      api.addRoute('GET /items', mock(), { scopes: [scope] });
      return deploymentLogicalId(Template.fromStack(stack));
    };
    expect(build(READ)).toBe(build(READ));
    expect(build(READ)).not.toBe(build(WRITE));
  });

  test('deployment logical id changes when a route condition changes', () => {
    const build = (group: string) => {
      const { stack, api } = secureApi();
      api.addRoute('GET /items', mock(), { conditions: [{ claim: 'cognito:groups', contains: group }] });
      return deploymentLogicalId(Template.fromStack(stack));
    };
    expect(build('staff')).not.toBe(build('admin'));
  });

  test('deployment logical id changes when an issuer is added', () => {
    const build = (extra: boolean) => {
      const { stack, api } = secureApi();
      api.addRoute('GET /items', mock(), { scopes: [READ] });
      if (extra) {
        api.addIssuer(TokenIssuer.oidc({ issuerUrl: 'https://login.example.com', audiences: ['api'] }));
      }
      return deploymentLogicalId(Template.fromStack(stack));
    };
    expect(build(false)).not.toBe(build(true));
  });

  test('300 routes and 5 issuers synthesize within the lambda environment limit', () => {
    const { stack, api } = secureApi(5, 2);
    const methods = ['GET', 'POST', 'PUT', 'DELETE'] as const;
    for (let resource = 0; resource < 75; resource++) {
      for (const method of methods) {
        api.addRoute(`${method} /resource${resource}/{id}`, mock(), { scopes: [method === 'GET' ? READ : WRITE] });
      }
    }
    const template = Template.fromStack(stack);

    template.resourceCountIs('AWS::ApiGateway::Method', 300);
    expect(JSON.parse(api.authorizer.configJson).routes).toHaveLength(300);
    const [fn] = Object.values(template.findResources('AWS::Lambda::Function')) as Array<{
      Properties: { Environment: { Variables: Record<string, unknown> } };
    }>;
    expect(Object.keys(fn!.Properties.Environment.Variables)).toEqual(['SECURE_API_AUTHORIZER_CONFIG']);
    expect(api.routes()).toHaveLength(300);
  });

  test('throws when the issuers outgrow the lambda environment', () => {
    const { stack, api } = secureApi(5, 8);
    api.addRoute('GET /items', mock(), { scopes: [READ] });
    expect(() => Template.fromStack(stack)).toThrow(
      /The authorizer's environment must fit Lambda's 4096-byte limit, counting each deploy-time value as up to 128 bytes; issuers holding deploy-time tokens travel in SECURE_API_AUTHORIZER_CONFIG: trust fewer issuers or client ids \(received: an estimated \d+ bytes\)/,
    );
  });

  test('throws when every route is public', () => {
    const { stack, api } = secureApi();
    api.addRoute('GET /health', mock(), { public: true });
    expect(() => Template.fromStack(stack)).toThrow(
      "'routes' must include at least one route protected by the JWT authorizer (received: 1 public route(s) only)",
    );
  });

  test('throws when no issuer is configured', () => {
    const app = new App();
    const stack = new Stack(app, 'Stack');
    const api = new SecureApi(stack, 'Api', { issuers: [] });
    api.addRoute('GET /items', mock(), { scopes: [READ] });
    expect(() => Template.fromStack(stack)).toThrow("'issuers' must contain at least one token issuer (received: 0)");
  });

  test('throws when the runtime would refuse the configuration', () => {
    const app = new App();
    const stack = new Stack(app, 'Stack');
    const issuer = () => TokenIssuer.oidc({ issuerUrl: 'https://login.example.com', audiences: ['api'] });
    const api = new SecureApi(stack, 'Api', { issuers: [issuer(), issuer()] });
    api.addRoute('GET /items', mock(), { scopes: [READ] });
    expect(() => Template.fromStack(stack)).toThrow(
      `The authorizer configuration must pass the runtime's checks, or every cold start would fail (received: issuers[1].issuer: duplicates issuers[0].issuer (received: "https://login.example.com"))`,
    );
  });

  test('throws when a method under a declared route is added on the rest api without being declared', () => {
    const { stack, api } = secureApi();
    const item = api.addRoute('GET /items/{id}', mock(), { scopes: [READ] });
    // Once a reader's token called GET /items/{id}, its cached Allow GET/items/* would cover this method too.
    item.resource.addResource('export').addMethod('GET', mock());
    expect(() => Template.fromStack(stack)).toThrow(
      "GET /items/{id}/export uses the JWT authorizer but is not in its route table: declare it with SecureApi.addRoute('GET /items/{id}/export', integration, { scopes }) or JwtAuthorizer.addRoute({ method: 'GET', path: '/items/{id}/export', scopes })",
    );
  });

  test('a route below a parameter route switches the cache key to the method and resource', () => {
    const { stack, api } = secureApi();
    api.addRoute('GET /items/{id}', mock(), { scopes: [READ] });
    api.addRoute('GET /items/{id}/export', mock(), { scopes: [WRITE] });
    const template = Template.fromStack(stack);
    expect(api.authorizer.cacheKeyScope).toBe('route');
    template.hasResourceProperties('AWS::ApiGateway::Authorizer', {
      IdentitySource: 'method.request.header.Authorization,context.httpMethod,context.resourcePath',
    });
  });

  test('throws when a route is added after synthesis', () => {
    const { stack, api } = secureApi();
    api.addRoute('GET /items', mock(), { scopes: [READ] });
    Template.fromStack(stack);
    expect(() => api.authorizer.addRoute({ method: 'GET', path: '/late', scopes: ['x'] })).toThrow(
      "'addRoute' must be called before the app synthesizes: the authorizer configuration is already compiled (received: a late call)",
    );
  });
});
