import { App, Duration, Stack } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { CONFIG_DEFAULTS, CONFIG_LIMITS } from '../../lambda/contract';
import { ApiScope, JwtAuthorizer, REVOCATION_DEFAULTS, SECURE_API_DEFAULTS, SecureApi, TokenIssuer, renderAccessLogFormat } from '../../lib';

/** One SecureApi with every prop left at its default, shared by the checks below. */
function defaultApi() {
  const app = new App();
  const stack = new Stack(app, 'Stack', { env: { account: '123456789012', region: 'eu-west-1' } });
  const api = new SecureApi(stack, 'Api', {
    issuers: [TokenIssuer.oidc({ issuerUrl: 'https://login.example.com', audiences: ['api'] })],
    cors: { allowOrigins: ['https://app.example.com'] },
  });
  api.addRoute('GET /items', new apigw.MockIntegration(), { scopes: [ApiScope.of('https://api.example.com', 'items.read', 'Read')] });
  return { api, template: Template.fromStack(stack) };
}

const { api, template } = defaultApi();
const config = JSON.parse(api.authorizer.configJson);
const d = SECURE_API_DEFAULTS;

describe('SECURE_API_DEFAULTS reach the template', () => {
  test('stage name, tracing, metrics, execution logging and throttling', () => {
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: d.stageName,
      TracingEnabled: d.tracingEnabled,
      MethodSettings: [
        Match.objectLike({
          LoggingLevel: d.executionLogLevel,
          MetricsEnabled: d.metricsEnabled,
          DataTraceEnabled: false,
          ThrottlingRateLimit: d.throttle.rateLimit,
          ThrottlingBurstLimit: d.throttle.burstLimit,
        }),
      ],
    });
  });

  test('access log format', () => {
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      AccessLogSetting: Match.objectLike({ Format: renderAccessLogFormat(d.accessLogFields) }),
    });
  });

  test('log retention and removal policy of every log group', () => {
    const groups = Object.values(template.findResources('AWS::Logs::LogGroup')) as Array<{
      Properties: { RetentionInDays: number };
      DeletionPolicy: string;
    }>;
    // Access log, execution log, authorizer decision log, WAF log.
    expect(groups).toHaveLength(4);
    for (const group of groups) {
      expect(group.Properties.RetentionInDays).toBe(d.logRetention);
      expect(group.DeletionPolicy).toBe('Retain');
    }
    expect(d.logRemovalPolicy).toBe('retain');
  });

  test('authorizer cache ttl', () => {
    template.hasResourceProperties('AWS::ApiGateway::Authorizer', { AuthorizerResultTtlInSeconds: d.authorizerCacheTtl.toSeconds() });
  });

  test('authorizer function memory, timeout and tracing', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      MemorySize: d.authorizer.memorySize.toMebibytes(),
      Timeout: d.authorizer.timeout.toSeconds(),
      TracingConfig: d.authorizer.tracing ? { Mode: 'Active' } : Match.absent(),
    });
  });

  test('authorizer verification settings in config.json', () => {
    expect(config.clockSkewSeconds).toBe(d.authorizer.clockSkew.toSeconds());
    expect(config.keys).toEqual({
      fetchTimeoutMs: d.authorizer.keyFetchTimeout.toMilliseconds(),
      maxAgeSeconds: d.authorizer.keyMaxAge.toSeconds(),
      cooldownSeconds: d.authorizer.keyCooldown.toSeconds(),
      graceSeconds: d.authorizer.keyGracePeriod.toSeconds(),
    });
    expect(config.issuers[0].algorithms).toEqual(d.authorizer.algorithms);
  });

  test('api gateway account setting is left to the account', () => {
    expect(d.apiGatewayAccount).toBe('existing');
    template.resourceCountIs('AWS::ApiGateway::Account', 0);
  });

  test('hsts max age on gateway responses', () => {
    template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'UNAUTHORIZED',
      ResponseParameters: Match.objectLike({
        'gatewayresponse.header.Strict-Transport-Security': `'max-age=${d.hstsMaxAge.toSeconds()}; includeSubDomains'`,
      }),
    });
  });

  test('cors allowed headers and max age on preflight responses', () => {
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'OPTIONS',
      Integration: Match.objectLike({
        IntegrationResponses: [
          Match.objectLike({
            ResponseParameters: Match.objectLike({
              'method.response.header.Access-Control-Allow-Headers': `'${d.cors.allowHeaders.join(',')}'`,
              'method.response.header.Access-Control-Max-Age': `'${d.cors.maxAge.toSeconds()}'`,
            }),
          }),
        ],
      }),
    });
  });

  test('limits are the documented ones', () => {
    expect(d.limits.maxAuthorizerCacheTtl.toSeconds()).toBe(3600);
    expect(d.limits.maxClockSkew.toSeconds()).toBe(300);
    expect(d.limits.lambdaEnvironmentBytes).toBe(4096);
  });
});

/** The leaves of a contract object, by dotted path (arrays are leaves). */
function leaves(value: object, prefix = ''): [string, unknown][] {
  return Object.entries(value).flatMap(([name, member]): [string, unknown][] => {
    const path = `${prefix}${name}`;
    return typeof member === 'object' && member !== null && !Array.isArray(member) ? leaves(member as object, `${path}.`) : [[path, member]];
  });
}

/** A contract entry the constructs have no setting for, and why. */
class RuntimeOnly {
  constructor(readonly why: string) {}
}

/** The contract's number for a duration, in the unit its name ends with (`...Ms` or `...Seconds`, or `.min`/`.max` of such a range). */
function inUnit(path: string, duration: Duration): number {
  const name = path.replace(/\.(min|max)$/, '');
  if (name.endsWith('Ms')) return duration.toMilliseconds();
  if (name.endsWith('Seconds')) return duration.toSeconds();
  throw new Error(`${path}: a duration counterpart needs a name ending in Ms or Seconds`);
}

describe('SECURE_API_DEFAULTS derive every authorizer default and bound from the contract', () => {
  // Every leaf of CONFIG_DEFAULTS and CONFIG_LIMITS must be listed: a new contract entry fails here until
  // it gets a counterpart in SECURE_API_DEFAULTS or a reason why the constructs have none.
  const a = d.authorizer;
  const l = d.limits;
  const counts = new RuntimeOnly('a count, not a duration: JwtAuthorizer enforces it at synth through parseConfig');
  const defaults: Record<string, Duration | string | readonly string[] | RuntimeOnly> = {
    'algorithms': a.algorithms,
    'logProfile': d.logProfile,
    'denyList.refreshSeconds': REVOCATION_DEFAULTS.refresh,
    'denyList.whenUnavailable': REVOCATION_DEFAULTS.whenUnavailable,
    'clockSkewSeconds': a.clockSkew,
    'cacheKeyScope': new RuntimeOnly('JwtAuthorizer chooses it from the route table (cacheKeyScopeFor)'),
    'maxTokenLifetimeSeconds': a.maxTokenLifetime,
    'clientIdClaim': new RuntimeOnly('TokenIssuer.oidc leaves it unset unless given, so the runtime default applies'),
    'keys.fetchTimeoutMs': a.keyFetchTimeout,
    'keys.maxAgeSeconds': a.keyMaxAge,
    'keys.cooldownSeconds': a.keyCooldown,
    'keys.graceSeconds': a.keyGracePeriod,
  };
  const limits: Record<string, Duration | RuntimeOnly> = {
    'issuers': counts,
    'routes': counts,
    'clientIds': counts,
    'audiences': counts,
    'staticKeys': counts,
    'scopesPerRoute': counts,
    'conditionsPerRoute': counts,
    'stringLength': counts,
    'requiredTypLength': new RuntimeOnly('a length: TokenIssuer.oidc checks it with isRequiredTyp of the contract'),
    'maxClockSkewSeconds': l.maxClockSkew,
    'maxTokenAgeSeconds': l.maxTokenAge,
    'maxTokenLifetimeSeconds': l.maxTokenLifetime,
    'keys.fetchTimeoutMs.min': l.keyFetchTimeout.min,
    'keys.fetchTimeoutMs.max': l.keyFetchTimeout.max,
    'keys.maxAgeSeconds.min': l.keyMaxAge.min,
    'keys.maxAgeSeconds.max': l.keyMaxAge.max,
    'keys.cooldownSeconds.min': l.keyCooldown.min,
    'keys.cooldownSeconds.max': l.keyCooldown.max,
    'keys.graceSeconds.min': l.keyGracePeriod.min,
    'keys.graceSeconds.max': l.keyGracePeriod.max,
    'denyListRefreshSeconds.min': REVOCATION_DEFAULTS.limits.refresh.min,
    'denyListRefreshSeconds.max': REVOCATION_DEFAULTS.limits.refresh.max,
    'maxKeyBackoffMs': new RuntimeOnly('the ceiling of the runtime back-off, no setting of the constructs'),
  };

  test.each([
    ['CONFIG_DEFAULTS', CONFIG_DEFAULTS, defaults],
    ['CONFIG_LIMITS', CONFIG_LIMITS, limits],
  ] as const)('every entry of %s is listed', (_name, contract, table) => {
    expect(Object.keys(table).sort()).toEqual(leaves(contract).map(([path]) => path).sort());
  });

  test.each([
    ...leaves(CONFIG_DEFAULTS).map(([path, value]) => [`CONFIG_DEFAULTS.${path}`, value, defaults[path]] as const),
    ...leaves(CONFIG_LIMITS).map(([path, value]) => [`CONFIG_LIMITS.${path}`, value, limits[path]] as const),
  ])('%s equals its counterpart in SECURE_API_DEFAULTS', (path, value, counterpart) => {
    if (counterpart instanceof RuntimeOnly || counterpart === undefined) {
      // Listed with a reason (or caught by the test above).
      return;
    }
    if (counterpart instanceof Duration) {
      expect(inUnit(path, counterpart)).toBe(value);
    } else {
      expect(counterpart).toEqual(value);
    }
  });

  test.each<[string, keyof typeof CONFIG_LIMITS.keys, 'milliseconds' | 'seconds']>([
    ['keyFetchTimeout', 'fetchTimeoutMs', 'milliseconds'],
    ['keyMaxAge', 'maxAgeSeconds', 'seconds'],
    ['keyCooldown', 'cooldownSeconds', 'seconds'],
    ['keyGracePeriod', 'graceSeconds', 'seconds'],
  ])('JwtAuthorizer accepts %s exactly within the contract range', (prop, option, unit) => {
    const { min, max } = CONFIG_LIMITS.keys[option];
    const duration = unit === 'milliseconds' ? Duration.millis : Duration.seconds;
    const stack = new Stack();
    // A timeout long enough for the longest key fetch, so only the range is judged.
    const authorizer = (amount: number) => new JwtAuthorizer(stack, `${prop}${amount}`, { [prop]: duration(amount), timeout: Duration.minutes(1) });
    expect(JSON.parse(authorizer(min).configJson).keys[option]).toBe(min);
    expect(JSON.parse(authorizer(max).configJson).keys[option]).toBe(max);
    expect(() => authorizer(max + 1)).toThrow(`'${prop}' must be at most ${max} ${unit} (received: ${max + 1})`);
    if (min > 0) {
      expect(() => authorizer(min - 1)).toThrow(`'${prop}' must be at least ${min} ${unit} (received: ${min - 1})`);
    }
  });
});
