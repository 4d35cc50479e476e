import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { ExitCode } from '../../../lib/cli/errors';
import type { StackReport } from '../../../lib/cli/report';
import { STANDARD_RULES } from '../../../lib/standard/rules';
import { handWired } from '../../fixtures/mixed-app';
import { SCENARIOS } from '../scenarios';
import { runOffline } from './fixtures/deployment';

let root: string;
let cdkOut: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'secure-api-report-standard-'));
  cdkOut = join(root, 'cdk.out');
  const app = new App({ outdir: cdkOut });
  const stack = handWired(app);
  SCENARIOS.find((scenario) => scenario.name === 'minimal secure api with an external oidc issuer')!.build(app);
  Validations.of(stack.node.findChild('Forever')).acknowledge({ id: 'SecureApi-LogRetention', reason: 'Legal hold: kept until the case closes' });
  app.synth();
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

async function jsonReport(failOn: string): Promise<{ code: number; stderr: string; report: StackReport; secureApi: StackReport }> {
  const run = await runOffline(['report', '--cdk-out', cdkOut, '--format', 'json', '--fail-on', failOn], root);
  const reports = JSON.parse(run.stdout) as StackReport[];
  expect(reports.map((stackReport) => stackReport.stackName)).toEqual(['HandWired', 'MinimalOidcApi']);
  return { code: run.code, stderr: run.stderr, report: reports[0]!, secureApi: reports[1]! };
}

describe('secure-api report: the API standard over every API of the app', () => {
  test('every rule of the standard, with its status and each resource’s finding', async () => {
    const { report } = await jsonReport('none');
    expect(report.standard.map((rule) => [rule.id, rule.level, rule.status])).toEqual([
      ['SecureApi-AuthOnEveryMethod', 'error', 'fail'],
      ['SecureApi-HttpApiRouteAuth', 'error', 'fail'],
      ['SecureApi-FunctionUrlAuth', 'error', 'fail'],
      ['SecureApi-StageWebAcl', 'error', 'fail'],
      ['SecureApi-StageThrottling', 'error', 'fail'],
      ['SecureApi-AccessLogging', 'error', 'fail'],
      ['SecureApi-NoDataTrace', 'error', 'fail'],
      ['SecureApi-LogRetention', 'error', 'acknowledged'],
      ['SecureApi-DomainTls', 'error', 'fail'],
      ['SecureApi-CorsCredentials', 'error', 'fail'],
      ['SecureApi-CognitoClient', 'error', 'fail'],
      ['SecureApi-AuthorizerCache', 'warning', 'fail'],
    ]);
    expect(report.standard.map((rule) => rule.id)).toEqual(STANDARD_RULES.map((rule) => rule.id));
    const retention = report.standard.find((rule) => rule.id === 'SecureApi-LogRetention')!;
    expect(retention.results.find((result) => result.status === 'acknowledged')).toEqual({
      logicalId: expect.stringMatching(/^Forever[0-9A-F]{8}$/),
      type: 'AWS::Logs::LogGroup',
      constructPath: 'HandWired/Forever/Resource',
      status: 'acknowledged',
      detail: 'the log group has no RetentionInDays: its events are kept forever',
      reason: 'Legal hold: kept until the case closes',
    });
    const methods = report.standard.find((rule) => rule.id === 'SecureApi-AuthOnEveryMethod')!;
    expect(methods.results.filter((result) => result.status === 'fail').map((result) => [result.constructPath, result.detail])).toEqual([
      ['HandWired/Rest/Default/orders/DELETE/Resource', 'DELETE has AuthorizationType "NONE" and is not declared public'],
      ['HandWired/Rest/Default/orders/POST/Resource', 'POST has a Cognito authorizer without AuthorizationScopes: any ID token of the pool passes'],
    ]);
  });

  test('HTTP APIs with the authorization of each route, and function URLs, next to the REST APIs', async () => {
    const { report } = await jsonReport('none');
    expect(report.httpApis).toEqual([
      {
        logicalId: expect.stringMatching(/^Http[0-9A-F]{8}$/),
        name: 'Http',
        protocol: 'HTTP',
        stages: [{ stageName: '$default' }, { stageName: 'live', accessLogDestination: expect.stringMatching(/^HttpLogs[0-9A-F]{8}$/) }],
        routes: [
          {
            routeKey: 'GET /partners',
            access: 'protected',
            authorization: 'JWT (issuer https://login.example.com/, audience api)',
            scopes: [],
            throttling: ['$default: account limits', 'live: 25 rps, burst 50'],
          },
          { routeKey: 'POST /open', access: 'public', authorization: 'none', scopes: [], throttling: ['$default: account limits', 'live: 25 rps, burst 50'] },
        ],
      },
      { logicalId: expect.stringMatching(/^OpenCors[0-9A-F]{8}$/), name: 'OpenCors', protocol: 'HTTP', stages: [{ stageName: '$default' }], routes: [] },
    ]);
    expect(report.functionUrls.map((url) => [url.authType, url.functionLogicalId?.replace(/[0-9A-F]{8}$/, '')])).toEqual([
      ['NONE', 'Fn'],
      ['AWS_IAM', 'Signed'],
    ]);
    const health = report.apis.flatMap((api) => api.routes).find((row) => row.path === '/health')!;
    expect(health.notes).toEqual(['declared public: Load balancer health check, returns a constant']);
  });

  test('the SecureApi next to them passes every rule that applies to it, in the same report', async () => {
    const { secureApi } = await jsonReport('none');
    expect(secureApi.standard.filter((rule) => rule.status !== 'pass' && rule.status !== 'not applicable')).toEqual([]);
    expect(secureApi.apis.map((api) => api.routes.map((row) => [row.method, row.path, row.access, row.scopes]))).toEqual([[['GET', '/orders', 'protected', ['https://api.example.com/orders.read']]]]);
  });

  test('--fail-on error exits 1 and names each failed rule; --fail-on none exits 0', async () => {
    const failing = await jsonReport('error');
    expect(failing.code).toBe(ExitCode.CheckFailed);
    expect(failing.stderr).toContain('The API standard fails (--fail-on error):\n  HandWired: SecureApi-AuthOnEveryMethod (2 resource(s))\n');
    expect(failing.stderr).not.toContain('SecureApi-LogRetention');
    expect(failing.stderr).not.toContain('SecureApi-AuthorizerCache');
    expect((await jsonReport('warning')).stderr).toContain('HandWired: SecureApi-AuthorizerCache (1 resource(s))');
    expect((await jsonReport('none')).code).toBe(ExitCode.Ok);
  });

  test('the Markdown report lists the standard and the APIs that SecureApi did not build', async () => {
    const run = await runOffline(['report', '--cdk-out', cdkOut], root);
    expect(run.code).toBe(ExitCode.Ok);
    expect(run.stdout).toContain('### HTTP API Http');
    expect(run.stdout).toContain('| `POST /open` | public | none | — | $default: account limits; live: 25 rps, burst 50 | — |');
    expect(run.stdout).toContain('### Lambda function URLs');
    expect(run.stdout).toContain('### API standard');
    expect(run.stdout).toContain('| SecureApi-LogRetention | error | acknowledged |');
    expect(run.stdout).toMatch(/\| SecureApi-LogRetention \| HandWired\/Forever\/Resource \| acknowledged \| .* \| Legal hold: kept until the case closes \|/);
  });
});
