/**
 * `secure-api serve`: a REST API of a synthesized app on 127.0.0.1, with the behaviour that decides who
 * gets in, as API Gateway documents it: resource and method matching with API Gateway's precedence, the
 * authorizer's real bundle from its asset with its real configuration (its issuers replaced by a local
 * one, whose key set this server publishes), identity sources (a missing one is a 401 without calling the
 * authorizer) and result caching (TTL, cache key), the IAM policy judged against the method ARN, the
 * template's gateway responses, and MOCK, HTTP proxy and Lambda proxy integrations (the function's asset
 * run in this process, one call at a time, with its literal environment variables and AWS endpoints pointed
 * at a closed loopback port, so a backend that calls AWS fails fast instead of reaching the network).
 *
 * Stage and method throttling answer 429 as API Gateway's token buckets do (rate per second, burst), before
 * the authorizer is called. Request validation, after it: required request parameters present and not
 * blank, and a JSON body against the method's model (the JSON Schema draft-4 checks of `json-schema.ts`),
 * each failure answered with the template's BAD_REQUEST_PARAMETERS or BAD_REQUEST_BODY response.
 *
 * The web ACL associated with the stage judges every request first, with the rules `waf.ts` can evaluate
 * (the others are listed in `notEmulated`): a block answers with the rule's custom response, or with the
 * template's WAF_FILTERED response.
 *
 * Not emulated yet (each answers 502 saying so, or is left out): Cognito and IAM authorization, access logs.
 */
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { generateKeyPairSync, randomUUID, type JsonWebKey } from 'node:crypto';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { arnPatternMatches, compileValidatedRouteTable, CONFIG_ENV_VAR, CONFIG_FILE_NAME, type RouteConfig, type RouteMethod } from '../../../lambda/contract';
import type { AssemblyStack, CfnResource } from '../cloud-assembly';
import { configError } from '../errors';
import { schemaProblem } from './json-schema';
import { stageWebAcl } from './waf';
import { assetFolder, readAuthorizerConfig } from '../report/authorizer-config';
import { resourcePaths } from '../report/routes';
import { type AnyRecord, isRecord, ofType } from '../report/template';
import { references } from '../report/values';

/** The issuer every authorizer of a local stage trusts instead of its own: tokens for it are signed with `privateKeyPem`. */
export interface LocalIssuer {
  readonly issuer: string;
  readonly kind: 'oidc';
  readonly clientId: string;
  readonly audience: string;
  readonly kid: string;
  /** The RS256 signing key, PKCS#8 PEM. A test key: it exists only while the stage runs. */
  readonly privateKeyPem: string;
}

/** A running local stage. */
export interface LocalStage {
  /** The stage URL, `http://127.0.0.1:<port>/<stage>/`. */
  readonly url: URL;
  readonly issuer: LocalIssuer;
  /** What the stage does not emulate of its template, one item a line: `AWS-AWSManagedRulesCommonRuleSet (managed rule group)`. */
  readonly notEmulated: readonly string[];
  close(): Promise<void>;
}

/** Where the local issuer's key set is published on the stage's server. */
const JWKS_PATH = '/.secure-api-local/jwks.json';
/** The client id and audience local tokens carry. */
const LOCAL_CLIENT = 'secure-api-local';
/** Region, account and API id in the method ARNs of a local stage (shaped as API Gateway's, which authorizers check). */
const LOCAL_ACCOUNT = '000000000000';
const LOCAL_API_ID = 'local00000';
const ARN_PREFIX = `arn:aws:execute-api:us-east-1:${LOCAL_ACCOUNT}:${LOCAL_API_ID}`;

interface Method {
  readonly verb: string;
  readonly path: string;
  readonly authorizationType: string;
  readonly authorizerId?: string;
  readonly integration: AnyRecord;
  /** The required request parameters (`method.request.querystring.q`...), when the validator checks them. */
  readonly requiredParameters: readonly string[];
  /** The JSON schema of the body, when the validator checks it. */
  readonly bodySchema?: unknown;
}

interface Authorizer {
  readonly type: 'TOKEN' | 'REQUEST';
  /** Header names (lower case) and context variables whose values key the cache. */
  readonly identitySources: readonly string[];
  readonly ttlSeconds: number;
  readonly handler: (event: unknown, context: unknown) => Promise<unknown>;
  readonly cache: Map<string, { statements: Statement[]; principalId?: unknown; context?: unknown; expiresAt: number }>;
}

interface Statement {
  readonly Effect?: unknown;
  readonly Action?: unknown;
  readonly Resource?: unknown;
}

interface GatewayResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly template?: string;
}

/** API Gateway's defaults for the responses a local stage gives itself. */
const DEFAULT_RESPONSES: Readonly<Record<string, { status: number; message: string }>> = {
  UNAUTHORIZED: { status: 401, message: 'Unauthorized' },
  ACCESS_DENIED: { status: 403, message: 'User is not authorized to access this resource' },
  MISSING_AUTHENTICATION_TOKEN: { status: 403, message: 'Missing Authentication Token' },
  AUTHORIZER_CONFIGURATION_ERROR: { status: 500, message: 'Internal server error' },
  THROTTLED: { status: 429, message: 'Too Many Requests' },
  BAD_REQUEST_PARAMETERS: { status: 400, message: 'Missing required request parameters' },
  BAD_REQUEST_BODY: { status: 400, message: 'Invalid request body' },
  WAF_FILTERED: { status: 403, message: 'Forbidden' },
};

/** A token bucket: `rate` tokens a second up to `burst`, one per request. */
class TokenBucket {
  private tokens: number;
  private at = Date.now();

  constructor(
    private readonly rate: number,
    private readonly burst: number,
  ) {
    this.tokens = burst;
  }

  /** Takes a token if there is one. */
  take(): boolean {
    const now = Date.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.at) / 1000) * this.rate);
    this.at = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/** The `ResourcePath` of a stage's method setting for a resource template: `/items/{id}` is `/~1items~1{id}`. */
const settingPath = (template: string): string => `/${template.replaceAll('/', '~1')}`;

const asList = (value: unknown): unknown[] => (Array.isArray(value) ? value : value === undefined ? [] : [value]);

/**
 * The path parameters of a request: each `{name}` segment of the resource template takes the request's
 * segment at its place, a greedy `{name+}` the rest of the path.
 */
export function pathParameters(template: string, path: string): Record<string, string> {
  const names = template.split('/');
  const segments = path.split('/');
  const parameters: Record<string, string> = {};
  names.forEach((segment, i) => {
    const match = /^\{([^}+]+)(\+?)\}$/.exec(segment);
    if (match) parameters[match[1]!] = match[2] ? segments.slice(i).join('/') : (segments[i] ?? '');
  });
  return parameters;
}

/**
 * What every function run by a local stage finds in its environment: a region, placeholder credentials, and
 * every AWS endpoint on a closed loopback port, so an SDK call fails at once rather than reaching AWS.
 */
const LAMBDA_ENVIRONMENT: Readonly<Record<string, string>> = {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'secure-api-local',
  AWS_SECRET_ACCESS_KEY: 'secure-api-local',
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
};

/** The request body, whole (a local stage takes what API Gateway would: at most 10 MB). */
async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > 10 * 1024 * 1024) break;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/**
 * The headers a response-parameter map sets to literal values (`'no-store'`, quoted as API Gateway writes
 * them): `prefix` is `gatewayresponse.header.` or `method.response.header.`. Mapped values are left out.
 */
function literalHeaders(parameters: unknown, prefix: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(isRecord(parameters) ? parameters : {})) {
    const literal = typeof value === 'string' ? /^'(.*)'$/s.exec(value)?.[1] : undefined;
    if (name.startsWith(prefix) && literal !== undefined) headers[name.slice(prefix.length)] = literal;
  }
  return headers;
}

/** Whether a policy lets the call through: an Allow of `execute-api:Invoke` covers the ARN and no Deny does. */
function allows(statements: readonly Statement[], methodArn: string): boolean {
  const covers = (statement: Statement) =>
    asList(statement.Action).some((action) => action === '*' || action === 'execute-api:*' || action === 'execute-api:Invoke') &&
    asList(statement.Resource).some((resource) => typeof resource === 'string' && arnPatternMatches(resource, methodArn));
  return !statements.some((statement) => statement.Effect === 'Deny' && covers(statement)) && statements.some((statement) => statement.Effect === 'Allow' && covers(statement));
}

/** Loads the authorizer bundle of an asset folder with `config` over its configuration, in a folder of its own. */
function loadAuthorizerBundle(folder: string, config: AnyRecord, work: string): (event: unknown, context: unknown) => Promise<unknown> {
  const copy = mkdtempSync(join(work, 'authorizer-'));
  copyFileSync(join(folder, 'index.js'), join(copy, 'index.js'));
  if (existsSync(join(folder, CONFIG_FILE_NAME))) copyFileSync(join(folder, CONFIG_FILE_NAME), join(copy, CONFIG_FILE_NAME));
  const saved = process.env[CONFIG_ENV_VAR];
  process.env[CONFIG_ENV_VAR] = JSON.stringify(config);
  try {
    // The bundle reads its configuration once, when it loads.
    return (createRequire(join(copy, 'index.js'))(join(copy, 'index.js')) as { handler: (event: unknown, context: unknown) => Promise<unknown> }).handler;
  } finally {
    if (saved === undefined) delete process.env[CONFIG_ENV_VAR];
    else process.env[CONFIG_ENV_VAR] = saved;
  }
}

/**
 * Starts a local stage of a REST API of `stack`.
 * @param stack the stack, from the cloud assembly
 * @param options which API (by logical id or name, when the stack has several) and port
 */
export async function startLocalStage(stack: AssemblyStack, options: { api?: string; port?: number } = {}): Promise<LocalStage> {
  const resources = stack.template.Resources ?? {};
  const apis = ofType(resources, 'AWS::ApiGateway::RestApi').filter(([id, api]) => options.api === undefined || id === options.api || api.Properties?.Name === options.api);
  if (apis.length !== 1) {
    throw configError('ERR_NO_API', `Stack ${stack.stackName} has ${apis.length === 0 ? 'no REST API' : `${apis.length} REST APIs`}${options.api ? ` named ${options.api}` : ''}: serve takes exactly one (--api).`);
  }
  const [apiId] = apis[0]!;
  const belongs = (resource: CfnResource) => references(resource.Properties?.RestApiId).has(apiId);
  const [stageId, stage] = ofType(resources, 'AWS::ApiGateway::Stage').find(([, candidate]) => belongs(candidate)) ?? [];
  const stageName = String(stage?.Properties?.StageName ?? 'prod');
  // Throttling: a bucket per method setting that sets a limit, the stage-wide one (`/*`, `*`) for every other method.
  const buckets = new Map<string, TokenBucket>();
  for (const setting of asList(stage?.Properties?.MethodSettings).filter(isRecord)) {
    const rate = setting.ThrottlingRateLimit;
    const burst = setting.ThrottlingBurstLimit;
    if (typeof rate === 'number' && typeof burst === 'number') {
      buckets.set(`${String(setting.HttpMethod)} ${String(setting.ResourcePath)}`, new TokenBucket(rate, burst));
    }
  }
  const throttled = (verb: string, template: string): boolean => {
    const bucket = buckets.get(`${verb} ${settingPath(template)}`) ?? buckets.get('* /*');
    return bucket !== undefined && !bucket.take();
  };
  const waf = stageId === undefined ? {} : stageWebAcl(resources, stageId);
  const notEmulated = [
    ...(waf.outside !== undefined ? [`web ACL ${waf.outside} (not in this template)`] : []),
    ...(waf.acl?.notEmulated ?? []).map((rule) => `${rule.rule} (${rule.reason})`),
  ];
  const pathOf = resourcePaths(resources, apiId);
  const methods: Method[] = ofType(resources, 'AWS::ApiGateway::Method')
    .filter(([, method]) => belongs(method))
    .map(([, method]) => {
      const props = method.Properties ?? {};
      const validatorId = [...references(props.RequestValidatorId)][0];
      const validator = validatorId === undefined ? undefined : resources[validatorId]?.Properties;
      const modelId = isRecord(props.RequestModels) ? [...references(props.RequestModels['application/json'] ?? props.RequestModels.$default)][0] : undefined;
      const parameters = isRecord(props.RequestParameters) ? props.RequestParameters : {};
      return {
        verb: String(props.HttpMethod ?? 'ANY'),
        path: pathOf(props.ResourceId),
        authorizationType: String(props.AuthorizationType ?? 'NONE'),
        authorizerId: [...references(props.AuthorizerId)][0],
        integration: isRecord(props.Integration) ? props.Integration : {},
        requiredParameters: validator?.ValidateRequestParameters === true ? Object.keys(parameters).filter((name) => parameters[name] === true) : [],
        ...(validator?.ValidateRequestBody === true && modelId !== undefined ? { bodySchema: resources[modelId]?.Properties?.Schema } : {}),
      };
    });
  const table = compileValidatedRouteTable(methods.map((method): RouteConfig => ({ method: method.verb as RouteMethod, path: method.path })));

  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const work = mkdtempSync(join(tmpdir(), 'secure-api-serve-'));
  const server = createServer();
  await new Promise<void>((resolveListen) => server.listen(options.port ?? 0, '127.0.0.1', resolveListen));
  const port = (server.address() as { port: number }).port;
  const origin = `http://127.0.0.1:${port}`;
  const issuer: LocalIssuer = {
    issuer: `${origin}/.secure-api-local`,
    kind: 'oidc',
    clientId: LOCAL_CLIENT,
    audience: LOCAL_CLIENT,
    kid: `local-${randomUUID()}`,
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
  };
  const jwks = { keys: [{ ...(publicKey.export({ format: 'jwk' }) as JsonWebKey), kid: issuer.kid, alg: 'RS256', use: 'sig' }] };

  const authorizers = new Map<string, Authorizer>();
  for (const [id, authorizer] of ofType(resources, 'AWS::ApiGateway::Authorizer').filter(([, a]) => belongs(a))) {
    const props = authorizer.Properties ?? {};
    const type = String(props.Type);
    const functionId = [...references(props.AuthorizerUri)].find((ref) => resources[ref]?.Type === 'AWS::Lambda::Function');
    if ((type !== 'TOKEN' && type !== 'REQUEST') || functionId === undefined) continue;
    const loaded = readAuthorizerConfig(stack, resources[functionId]!);
    if (loaded.config === undefined || loaded.folder === undefined || !existsSync(join(loaded.folder, 'index.js'))) continue;
    const localIssuers = [{ kind: 'oidc', issuer: issuer.issuer, jwksUri: `${origin}${JWKS_PATH}`, clientIds: [LOCAL_CLIENT], audiences: [LOCAL_CLIENT], algorithms: ['RS256'] }];
    const sources = String(props.IdentitySource ?? (type === 'TOKEN' ? 'method.request.header.Authorization' : ''))
      .split(',')
      .map((source) => source.trim().replace(/^method\.request\.header\./, 'header:').toLowerCase())
      .filter((source) => source !== '');
    authorizers.set(id, {
      type,
      identitySources: sources,
      ttlSeconds: typeof props.AuthorizerResultTtlInSeconds === 'number' ? props.AuthorizerResultTtlInSeconds : 300,
      handler: loadAuthorizerBundle(loaded.folder, { ...loaded.config, issuers: localIssuers }, work),
      cache: new Map(),
    });
  }

  // Lambda functions run in this process: loaded in place (so their own imports resolve as in the project),
  // with their literal environment variables, one call at a time (they share process.env).
  const lambdas = new Map<string, ((event: unknown, context: unknown) => Promise<unknown>) | undefined>();
  const lambdaHandler = (functionId: string): ((event: unknown, context: unknown) => Promise<unknown>) | undefined => {
    if (!lambdas.has(functionId)) {
      const fn = resources[functionId]!;
      const [file, exportName] = String(fn.Properties?.Handler ?? 'index.handler').split(/\.(?=[^.]+$)/);
      const code = isRecord(fn.Properties?.Code) ? fn.Properties.Code : {};
      let folder = assetFolder(stack, fn);
      if (typeof code.ZipFile === 'string') {
        // Inline code (lambda.Code.fromInline) is in the template itself.
        folder = mkdtempSync(join(work, 'inline-'));
        writeFileSync(join(folder, `${file}.js`), code.ZipFile);
      }
      const entry = folder === undefined ? undefined : join(folder, `${file}.js`);
      if (entry === undefined || !existsSync(entry)) {
        lambdas.set(functionId, undefined);
      } else {
        const variables = isRecord(fn.Properties?.Environment) && isRecord(fn.Properties.Environment.Variables) ? fn.Properties.Environment.Variables : {};
        Object.assign(process.env, LAMBDA_ENVIRONMENT, Object.fromEntries(Object.entries(variables).filter((entry): entry is [string, string] => typeof entry[1] === 'string')));
        const loaded = createRequire(entry)(entry) as Record<string, unknown>;
        const handler = loaded[exportName ?? 'handler'];
        lambdas.set(functionId, typeof handler === 'function' ? (event, context) => Promise.resolve((handler as (e: unknown, c: unknown) => unknown)(event, context)) : undefined);
      }
    }
    return lambdas.get(functionId);
  };
  let queue: Promise<unknown> = Promise.resolve();
  const invokeOneAtATime = <T>(call: () => Promise<T>): Promise<T> => {
    const result = queue.then(call, call);
    queue = result.catch(() => undefined);
    return result;
  };

  const gatewayResponses = new Map<string, GatewayResponse>();
  for (const [, response] of ofType(resources, 'AWS::ApiGateway::GatewayResponse').filter(([, r]) => belongs(r))) {
    const props = response.Properties ?? {};
    const headers = literalHeaders(props.ResponseParameters, 'gatewayresponse.header.');
    const template = isRecord(props.ResponseTemplates) ? props.ResponseTemplates['application/json'] : undefined;
    gatewayResponses.set(String(props.ResponseType), {
      status: Number(props.StatusCode ?? 0),
      headers,
      ...(typeof template === 'string' ? { template } : {}),
    });
  }

  const gateway = (response: ServerResponse, type: string, requestId: string): void => {
    const fallback = DEFAULT_RESPONSES[type] ?? { status: 500, message: 'Internal server error' };
    const family = fallback.status >= 500 ? 'DEFAULT_5XX' : 'DEFAULT_4XX';
    const own = gatewayResponses.get(type);
    const general = gatewayResponses.get(family);
    const headers = { ...general?.headers, ...own?.headers };
    const template = own?.template ?? general?.template;
    const body =
      template === undefined
        ? JSON.stringify({ message: fallback.message })
        : template.replaceAll('$context.error.messageString', JSON.stringify(fallback.message)).replaceAll('$context.error.message', fallback.message).replaceAll('$context.requestId', requestId);
    response.writeHead(own?.status || fallback.status, { 'content-type': 'application/json', ...headers }).end(body);
  };

  const integrate = async (
    response: ServerResponse,
    method: Method,
    request: IncomingMessage,
    path: string,
    call: { requestId: string; authorizer?: Record<string, unknown>; prefix: string; body: Buffer },
  ): Promise<void> => {
    const type = String(method.integration.Type ?? '');
    if (type === 'AWS_PROXY') {
      const functionId = [...references(method.integration.Uri)].find((ref) => resources[ref]?.Type === 'AWS::Lambda::Function');
      const handler = functionId === undefined ? undefined : lambdaHandler(functionId);
      if (handler === undefined) {
        response.writeHead(502, { 'content-type': 'application/json' }).end(JSON.stringify({ message: 'secure-api serve cannot run this function: its asset is not in cdk.out' }));
        return;
      }
      const url = new URL(request.url ?? '/', origin);
      const body = call.body;
      const headers = Object.fromEntries(Object.entries(request.headers).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
      const event = {
        resource: method.path,
        path,
        httpMethod: request.method,
        headers,
        multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, [value]])),
        queryStringParameters: url.searchParams.size > 0 ? Object.fromEntries(url.searchParams) : null,
        pathParameters: method.path.includes('{') ? pathParameters(method.path, path) : null,
        stageVariables: null,
        requestContext: { accountId: LOCAL_ACCOUNT, apiId: LOCAL_API_ID, stage: stageName, resourcePath: method.path, httpMethod: request.method, path: `${call.prefix}${path}`, requestId: call.requestId, authorizer: call.authorizer ?? null, identity: { sourceIp: request.socket.remoteAddress } },
        body: body.length > 0 ? body.toString('utf8') : null,
        isBase64Encoded: false,
      };
      let result: unknown;
      try {
        result = await invokeOneAtATime(() => handler(event, { awsRequestId: call.requestId, functionName: functionId, getRemainingTimeInMillis: () => 29_000 }));
      } catch {
        response.writeHead(502, { 'content-type': 'application/json' }).end(JSON.stringify({ message: 'Internal server error' }));
        return;
      }
      if (!isRecord(result) || typeof result.statusCode !== 'number') {
        response.writeHead(502, { 'content-type': 'application/json' }).end(JSON.stringify({ message: 'Internal server error' }));
        return;
      }
      const answerHeaders = Object.fromEntries(Object.entries(isRecord(result.headers) ? result.headers : {}).map(([name, value]) => [name, String(value)]));
      const answerBody = typeof result.body === 'string' ? Buffer.from(result.body, result.isBase64Encoded === true ? 'base64' : 'utf8') : Buffer.alloc(0);
      response.writeHead(result.statusCode, answerHeaders).end(answerBody);
      return;
    }
    if (type === 'MOCK') {
      const template = isRecord(method.integration.RequestTemplates) ? method.integration.RequestTemplates['application/json'] : undefined;
      const status = typeof template === 'string' ? Number(/"statusCode"\s*:\s*(\d{3})/.exec(template)?.[1] ?? 200) : 200;
      const integrationResponse = asList(method.integration.IntegrationResponses).find((entry) => isRecord(entry) && String(entry.StatusCode) === String(status));
      const headers = literalHeaders(isRecord(integrationResponse) ? integrationResponse.ResponseParameters : undefined, 'method.response.header.');
      const body = isRecord(integrationResponse) && isRecord(integrationResponse.ResponseTemplates) ? integrationResponse.ResponseTemplates['application/json'] : undefined;
      response.writeHead(status, { 'content-type': 'application/json', ...headers }).end(typeof body === 'string' ? body : '');
      return;
    }
    if (type === 'HTTP_PROXY' && typeof method.integration.Uri === 'string') {
      // The backend gets the request's path parameters in the URI's places (no header, so no token, is forwarded).
      const target = method.integration.Uri.replace(/\{([^}+]+)\+?\}/g, (_match, name: string) => pathParameters(method.path, path)[name] ?? '');
      try {
        const answer = await fetch(target, { method: request.method, redirect: 'manual' });
        response.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' }).end(Buffer.from(await answer.arrayBuffer()));
      } catch {
        response.writeHead(502, { 'content-type': 'application/json' }).end(JSON.stringify({ message: 'Bad Gateway: the HTTP backend did not answer' }));
      }
      return;
    }
    response.writeHead(502, { 'content-type': 'application/json' }).end(JSON.stringify({ message: `secure-api serve does not run ${type || 'this'} integrations yet` }));
  };

  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    void (async () => {
      const requestId = randomUUID();
      const url = new URL(request.url ?? '/', origin);
      if (request.method === 'GET' && url.pathname === JWKS_PATH) {
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(jwks));
        return;
      }
      const body = await readBody(request);
      // AWS WAF sees the request line as sent, before any normalisation.
      const [rawPath = '/', ...rawQuery] = (request.url ?? '/').split('?');
      const verdict = waf.acl?.evaluate({
        sourceIp: request.socket.remoteAddress ?? '',
        method: request.method ?? 'GET',
        uriPath: rawPath,
        queryString: rawQuery.join('?'),
        headers: request.headers,
        body,
      });
      if (verdict?.action === 'BLOCK') {
        const custom = verdict.response;
        if (custom === undefined) {
          gateway(response, 'WAF_FILTERED', requestId);
        } else {
          response.writeHead(custom.status, { ...(custom.body !== undefined ? { 'content-type': custom.body.contentType } : {}), ...custom.headers }).end(custom.body?.content ?? '');
        }
        return;
      }
      const prefix = `/${stageName}`;
      const path = url.pathname === prefix ? '/' : url.pathname.startsWith(`${prefix}/`) ? url.pathname.slice(prefix.length) : undefined;
      const verb = request.method ?? 'GET';
      const route = path === undefined ? undefined : table.match(verb as never, path);
      const method = route === undefined ? undefined : methods[route.index];
      if (method === undefined || path === undefined) {
        gateway(response, 'MISSING_AUTHENTICATION_TOKEN', requestId);
        return;
      }
      if (throttled(method.verb, method.path)) {
        gateway(response, 'THROTTLED', requestId);
        return;
      }
      let authorizerContext: Record<string, unknown> | undefined;
      if (method.authorizationType === 'CUSTOM') {
        const authorizer = method.authorizerId === undefined ? undefined : authorizers.get(method.authorizerId);
        if (authorizer === undefined) {
          gateway(response, 'AUTHORIZER_CONFIGURATION_ERROR', requestId);
          return;
        }
        const context: Record<string, string> = { 'context.httpmethod': verb, 'context.resourcepath': method.path };
        const values = authorizer.identitySources.map((source) => (source.startsWith('header:') ? request.headers[source.slice('header:'.length)] : context[source]));
        if (values.some((value) => typeof value !== 'string' || value === '')) {
          // API Gateway answers 401 without calling the authorizer when an identity source is missing or empty.
          gateway(response, 'UNAUTHORIZED', requestId);
          return;
        }
        const key = JSON.stringify(values);
        const methodArn = `${ARN_PREFIX}/${stageName}/${verb}${path}`;
        let cached = authorizer.cache.get(key);
        if (cached === undefined || cached.expiresAt <= Date.now()) {
          const headers = Object.fromEntries(Object.entries(request.headers).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
          const event =
            authorizer.type === 'TOKEN'
              ? { type: 'TOKEN', authorizationToken: request.headers[authorizer.identitySources[0]!.slice('header:'.length)], methodArn }
              : {
                  type: 'REQUEST',
                  methodArn,
                  resource: method.path,
                  path,
                  httpMethod: verb,
                  headers,
                  multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, [value]])),
                  queryStringParameters: Object.fromEntries(url.searchParams),
                  requestContext: { accountId: LOCAL_ACCOUNT, apiId: LOCAL_API_ID, stage: stageName, httpMethod: verb, resourcePath: method.path, path: `${prefix}${path}`, requestId },
                };
          let answer: unknown;
          try {
            answer = await authorizer.handler(event, { awsRequestId: requestId });
          } catch (error) {
            gateway(response, error instanceof Error && error.message === 'Unauthorized' ? 'UNAUTHORIZED' : 'AUTHORIZER_CONFIGURATION_ERROR', requestId);
            return;
          }
          const statements = isRecord(answer) && isRecord(answer.policyDocument) ? asList(answer.policyDocument.Statement).filter(isRecord) : [];
          cached = { statements, principalId: isRecord(answer) ? answer.principalId : undefined, context: isRecord(answer) ? answer.context : undefined, expiresAt: Date.now() + authorizer.ttlSeconds * 1000 };
          if (authorizer.ttlSeconds > 0) authorizer.cache.set(key, cached);
        }
        if (!allows(cached.statements, methodArn)) {
          gateway(response, 'ACCESS_DENIED', requestId);
          return;
        }
        authorizerContext = { ...(isRecord(cached.context) ? cached.context : {}), principalId: cached.principalId };
      } else if (method.authorizationType !== 'NONE') {
        response.writeHead(502, { 'content-type': 'application/json' }).end(JSON.stringify({ message: `secure-api serve does not emulate ${method.authorizationType} authorization yet` }));
        return;
      }
      const missing = method.requiredParameters.filter((parameter) => {
        const [, , where, name] = parameter.split('.');
        const value = where === 'querystring' ? url.searchParams.get(name ?? '') : where === 'header' ? request.headers[(name ?? '').toLowerCase()] : where === 'path' ? pathParameters(method.path, path)[name ?? ''] : undefined;
        return typeof value !== 'string' || value.trim() === '';
      });
      if (missing.length > 0) {
        gateway(response, 'BAD_REQUEST_PARAMETERS', requestId);
        return;
      }
      if (method.bodySchema !== undefined) {
        let parsed: unknown;
        try {
          parsed = JSON.parse(body.toString('utf8'));
        } catch {
          gateway(response, 'BAD_REQUEST_BODY', requestId);
          return;
        }
        if (schemaProblem(method.bodySchema, parsed) !== undefined) {
          gateway(response, 'BAD_REQUEST_BODY', requestId);
          return;
        }
      }
      await integrate(response, method, request, path, { requestId, authorizer: authorizerContext, prefix, body });
    })().catch(() => {
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ message: 'Internal server error' }));
    });
  });

  return {
    url: new URL(`${origin}/${stageName}/`),
    issuer,
    notEmulated,
    close: () =>
      new Promise<void>((resolveClose) => {
        server.close(() => resolveClose());
        server.closeAllConnections();
        rmSync(work, { recursive: true, force: true });
      }),
  };
}
