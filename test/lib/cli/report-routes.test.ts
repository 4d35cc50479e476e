/**
 * The access matrix finds the declared route of each method with the contract's route table, as the
 * authorizer does: the exact verb, then `ANY`; parameter names do not matter; an `ANY` method gets the
 * route of every verb. Hand-made templates, with the configuration in the environment variable.
 */
import type { AssemblyStack, CfnResource } from '../../../lib/cli/cloud-assembly';
import { type AccessRow, buildStackReport } from '../../../lib/cli/report';
import { CONFIG_ENV_VAR, type RouteConfig } from '../../../lambda/contract';

/** A stack with one REST API whose methods use a Lambda authorizer configured with `routes`. */
function stackWith(routes: readonly unknown[], methods: ReadonlyArray<readonly [string, string]>): AssemblyStack {
  const resources: Record<string, CfnResource> = {
    Api: { Type: 'AWS::ApiGateway::RestApi', Properties: { Name: 'api' } },
    Fn: {
      Type: 'AWS::Lambda::Function',
      Properties: { Environment: { Variables: { [CONFIG_ENV_VAR]: JSON.stringify({ version: 1, issuers: [], routes }) } } },
    },
    Auth: {
      Type: 'AWS::ApiGateway::Authorizer',
      Properties: { RestApiId: { Ref: 'Api' }, Type: 'REQUEST', AuthorizerUri: { 'Fn::GetAtt': ['Fn', 'Arn'] } },
    },
  };
  // Resources named after their path, below the root: /items, /items/{itemId}.
  const resourceOf = (path: string): unknown => {
    if (path === '/') {
      return { 'Fn::GetAtt': ['Api', 'RootResourceId'] };
    }
    const parts = path.slice(1).split('/');
    const id = `R${parts.map((part) => part.replace(/\W/g, '')).join('')}`;
    resources[id] = {
      Type: 'AWS::ApiGateway::Resource',
      Properties: { RestApiId: { Ref: 'Api' }, ParentId: resourceOf(`/${parts.slice(0, -1).join('/')}`), PathPart: parts[parts.length - 1] },
    };
    return { Ref: id };
  };
  methods.forEach(([method, path], i) => {
    resources[`M${i}`] = {
      Type: 'AWS::ApiGateway::Method',
      Properties: { RestApiId: { Ref: 'Api' }, HttpMethod: method, ResourceId: resourceOf(path), AuthorizationType: 'CUSTOM', AuthorizerId: { Ref: 'Auth' } },
    };
  });
  return { artifactId: 'S', stackName: 'S', displayName: 'S', assemblyDir: '/nonexistent', template: { Resources: resources }, metadata: {} };
}

const rowsOf = (stack: AssemblyStack): Array<[string, string, string, readonly string[]]> =>
  buildStackReport(stack).apis[0]!.routes.map((row: AccessRow) => [row.method, row.path, row.scopes.join(' '), row.notes]);

const ROUTES: RouteConfig[] = [
  { method: 'GET', path: '/items', scopes: ['read'] },
  { method: 'ANY', path: '/items', scopes: ['admin'] },
  { method: 'GET', path: '/items/{id}', scopes: ['read'] },
];

describe('access matrix route matching', () => {
  test('a verb gets its exact route, else the ANY route of the resource', () => {
    expect(rowsOf(stackWith(ROUTES, [['GET', '/items'], ['POST', '/items']]))).toEqual([
      ['GET', '/items', 'read', []],
      ['POST', '/items', 'admin', []],
    ]);
  });

  test('an ANY method lists every declared route of its resource once', () => {
    expect(rowsOf(stackWith(ROUTES, [['ANY', '/items']]))).toEqual([
      ['GET', '/items', 'read', ['served by the ANY method']],
      ['ANY', '/items', 'admin', ['served by the ANY method']],
    ]);
  });

  test('an ANY method next to a GET method of the same resource lists GET once, under the GET method', () => {
    expect(rowsOf(stackWith(ROUTES, [['GET', '/items'], ['ANY', '/items']]))).toEqual([
      ['GET', '/items', 'read', []],
      ['ANY', '/items', 'admin', ['served by the ANY method']],
    ]);
  });

  test('parameter names do not matter, as for the authorizer; a resource without a route is flagged', () => {
    expect(rowsOf(stackWith(ROUTES, [['GET', '/items/{itemId}'], ['DELETE', '/items/{itemId}']]))).toEqual([
      ['GET', '/items/{itemId}', 'read', []],
      ['DELETE', '/items/{itemId}', '', ["not in the authorizer's route table: every call is refused with 401 (NO_ROUTE)"]],
    ]);
  });

  test('a route table the authorizer could not compile leaves the scopes unknown, saying why', () => {
    expect(rowsOf(stackWith([...ROUTES, { method: 'GET', path: 'items' }], [['GET', '/items']]))).toEqual([
      ['GET', '/items', '', ["scopes unknown: the authorizer's route table is not valid (route path 'items' must start with '/')"]],
    ]);
  });
});
