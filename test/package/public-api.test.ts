import * as path from 'node:path';
import { Duration } from 'aws-cdk-lib';
import * as ts from 'typescript';
import * as root from '../../lib';
import {
  ACCESS_LOG_VARIABLES,
  COGNITO_OAUTH_DEFAULTS,
  DEMO_ITEMS_DEFAULTS,
  MONITORING_DEFAULTS,
  SECURE_API_DEFAULTS,
  SECURE_API_STACK_DEFAULTS,
  WEB_ACL_DEFAULTS,
} from '../../lib/defaults';

const REPO = path.join(__dirname, '..', '..');

/** Every name the package root exports (values and types), with the file that declares it. */
function rootExports(): Map<string, string> {
  const options: ts.CompilerOptions = {
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    target: ts.ScriptTarget.ES2022,
    noLib: true,
    types: [],
  };
  // Only the package's own files matter here: dependencies are read as empty modules, which keeps this fast.
  const host = ts.createCompilerHost(options);
  const readSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, languageVersion, ...rest) =>
    fileName.includes('/node_modules/') ? ts.createSourceFile(fileName, 'export {};', languageVersion) : readSourceFile(fileName, languageVersion, ...rest);
  const program = ts.createProgram([path.join(REPO, 'lib', 'index.ts')], options, host);
  const checker = program.getTypeChecker();
  const index = program.getSourceFile(path.join(REPO, 'lib', 'index.ts'));
  const moduleSymbol = index && checker.getSymbolAtLocation(index);
  if (moduleSymbol === undefined) {
    throw new Error('lib/index.ts did not load');
  }
  return new Map(
    checker.getExportsOfModule(moduleSymbol).map((symbol) => {
      const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
      const file = target.declarations?.[0]?.getSourceFile().fileName ?? '';
      return [symbol.name, path.relative(REPO, file).split(path.sep).join('/')];
    }),
  );
}

describe('package root', () => {
  const exported = rootExports();

  test('exports the constructs, their props and defaults, and the testing helpers', () => {
    for (const name of [
      'SecureApi',
      'SecureApiProps',
      'JwtAuthorizer',
      'JwtAuthorizerOptions',
      'TokenIssuer',
      'ApiScope',
      'RouteScope',
      'ApiGatewayAccount',
      'CognitoOAuth',
      'CognitoOAuthProps',
      'SecureApiWebAcl',
      'SecureApiMonitoring',
      'AuditQueries',
      'LogEncryptionKey',
      'SecureApiValidationError',
      'SECURE_API_DEFAULTS',
      'WEB_ACL_DEFAULTS',
      'stableTemplate',
      'AuthorizerConfig',
      'SecureApiStandard',
      'STANDARD_RULES',
      'StandardRule',
      'StackTemplate',
      'declarePublic',
      'SecureApiOrgDefaults',
      'SecureApiOrgDefaultsProps',
    ]) {
      expect([name, exported.has(name)]).toEqual([name, true]);
    }
  });

  test('exports nothing of the demo app, the cli or internal helpers', () => {
    const demoOrCli = /^(lib\/(secure-api-stack|demo-items-service|app-config)\.ts|lib\/cli\/|bin\/|lambda\/demo-items\/)/;
    const leaked = [...exported].filter(([, file]) => demoOrCli.test(file)).map(([name, file]) => `${name} (${file})`);
    expect(leaked).toEqual([]);
    for (const name of [
      'SecureApiStack',
      'SecureApiStackProps',
      'DemoItemsService',
      'appConfigFromContext',
      'SECURE_API_STACK_DEFAULTS',
      'DEMO_ITEMS_DEFAULTS',
      'describeValue',
      'validateDuration',
      'scopeToken',
      'redirectUrlProblem',
      'domainPrefixProblem',
    ]) {
      expect([name, exported.has(name), name in root]).toEqual([name, false, false]);
    }
  });

  test('exports from lambda/ only the configuration types', () => {
    const fromLambda = [...exported].filter(([, file]) => file.startsWith('lambda/')).map(([name]) => name);
    expect(fromLambda.filter((name) => name in root)).toEqual([]);
  });
});

describe('cdk-secure-api/nag', () => {
  test('holds the cdk-nag pack, which the package root neither exports nor loads', () => {
    expect([...rootExports()].filter(([, file]) => file.startsWith('lib/nag/'))).toEqual([]);
    expect('SecureApiChecks' in root).toBe(false);
    const manifest = JSON.parse(ts.sys.readFile(path.join(REPO, 'package.json')) ?? '{}') as { exports: Record<string, { default: string }>; peerDependenciesMeta: Record<string, { optional: boolean }> };
    expect(manifest.exports['./nag']?.default).toBe('./dist/lib/nag/index.js');
    expect(manifest.peerDependenciesMeta['cdk-nag']).toEqual({ optional: true });
    const rootSources = ts.sys.readFile(path.join(REPO, 'lib', 'index.ts')) ?? '';
    expect(rootSources).not.toMatch(/nag\/|cdk-nag/);
  });
});

describe('defaults objects', () => {
  const DEFAULTS = {
    SECURE_API_DEFAULTS,
    SECURE_API_STACK_DEFAULTS,
    DEMO_ITEMS_DEFAULTS,
    WEB_ACL_DEFAULTS,
    MONITORING_DEFAULTS,
    COGNITO_OAUTH_DEFAULTS,
    ACCESS_LOG_VARIABLES,
  };

  test.each(Object.entries(DEFAULTS))('%s is frozen all the way down', (_name, defaults) => {
    const unfrozen: string[] = [];
    const visit = (value: unknown, at: string): void => {
      if (typeof value !== 'object' || value === null) {
        return;
      }
      const prototype = Object.getPrototypeOf(value) as unknown;
      const ours = Array.isArray(value) || prototype === Object.prototype || value instanceof Duration || (value as object).constructor?.name === 'Size';
      if (!ours) {
        return;
      }
      if (!Object.isFrozen(value)) {
        unfrozen.push(at);
      }
      if (Array.isArray(value) || prototype === Object.prototype) {
        Object.entries(value).forEach(([key, child]) => visit(child, `${at}.${key}`));
      }
    };
    visit(defaults, 'defaults');
    expect(unfrozen).toEqual([]);
  });

  test('assigning to a default throws and leaves it unchanged', () => {
    const mutable = SECURE_API_DEFAULTS as unknown as {
      stageName: string;
      throttle: { rateLimit: number };
      authorizer: { algorithms: string[] };
      cors: { allowHeaders: string[] };
    };
    expect(() => (mutable.stageName = 'dev')).toThrow(TypeError);
    expect(() => (mutable.throttle.rateLimit = 1_000_000)).toThrow(TypeError);
    expect(() => mutable.authorizer.algorithms.push('none')).toThrow(TypeError);
    expect(() => mutable.cors.allowHeaders.splice(0)).toThrow(TypeError);
    expect(() => ((WEB_ACL_DEFAULTS.protectedHeaders as string[]).length = 0)).toThrow(TypeError);
    expect(() => ((COGNITO_OAUTH_DEFAULTS.passwordPolicy as { minLength: number }).minLength = 1)).toThrow(TypeError);
    expect(() => Object.assign(SECURE_API_DEFAULTS.authorizer.timeout, { amount: 900 })).toThrow(TypeError);
    expect(SECURE_API_DEFAULTS.stageName).toBe('prod');
    expect(SECURE_API_DEFAULTS.throttle.rateLimit).toBe(100);
    expect(SECURE_API_DEFAULTS.authorizer.algorithms).toEqual(['RS256']);
    expect(SECURE_API_DEFAULTS.cors.allowHeaders).toEqual(['Authorization', 'Content-Type']);
    expect(WEB_ACL_DEFAULTS.protectedHeaders).toEqual(['authorization', 'cookie', 'x-api-key']);
    expect(SECURE_API_DEFAULTS.authorizer.timeout.toSeconds()).toBe(5);
  });
});
