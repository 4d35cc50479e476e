import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { readCloudAssembly } from '../../../lib/cli/cloud-assembly';
import { ExitCode } from '../../../lib/cli/errors';
import { StackReport, buildStackReport } from '../../../lib/cli/report';
import { CliRun, runOffline } from './fixtures/deployment';
import { synthReportFixture } from './fixtures/report-app';

let cdkOut: string;
let report: StackReport;

beforeAll(() => {
  cdkOut = synthReportFixture();
  report = buildStackReport(readCloudAssembly(cdkOut)[0]!);
});

afterAll(() => {
  rmSync(dirname(cdkOut), { recursive: true, force: true });
});

function runReport(args: string[], cwd: string = tmpdir()): Promise<CliRun> {
  return runOffline(['report', ...args], cwd);
}

describe('report model', () => {
  test('access matrix: every method with path, access, scopes, conditions and throttling', () => {
    const api = report.apis[0]!;

    expect(api.name).toBe('fixture-api');
    expect(
      api.routes.map((row) => [row.method, row.path, row.access, row.scopes.join(' '), row.conditions.join('; '), row.throttling.map((t) => `${t.rateLimit}/${t.burstLimit} ${t.source}`).join()]),
    ).toEqual([
      ['GET', '/admin', 'protected', '', 'cognito:groups contains admin', '50/100 stage'],
      ['GET', '/health', 'public', '', '', '50/100 stage'],
      ['GET', '/items', 'protected', 'items/read', '', '50/100 stage'],
      ['POST', '/items', 'protected', 'items/write', '', '5/10 method'],
      ['GET', '/items/{id}', 'protected', 'items/read', '', '50/100 stage'],
      ['DELETE', '/items/{id}', 'protected', 'items/write', '', '50/100 stage'],
      ['GET', '/legacy', 'protected', '', '', '50/100 stage'],
    ]);
  });

  test('a method the authorizer has no route for is flagged as always denied', () => {
    const legacy = report.apis[0]!.routes.find((row) => row.path === '/legacy')!;

    expect(legacy.notes).toEqual(["not in the authorizer's route table: every call is refused with 401 (NO_ROUTE)"]);
    expect(legacy.authorization).toMatch(/^Lambda authorizer Authorizer[0-9A-F]{8}$/);
  });

  test('backends come from the integrations', () => {
    const backends = new Set(report.apis[0]!.routes.map((row) => row.backend));

    expect([...backends].sort()).toEqual([expect.stringMatching(/^Lambda ItemsFunction[0-9A-F]{8}$/), 'mock']);
  });

  test('authorizer: type, identity source, cache, issuers, and where its configuration was read', () => {
    expect(report.apis[0]!.authorizers).toEqual([
      {
        logicalId: expect.stringMatching(/^Authorizer[0-9A-F]{8}$/),
        type: 'REQUEST',
        identitySource: 'method.request.header.Authorization',
        cacheTtlSeconds: 300,
        functionLogicalId: expect.stringMatching(/^AuthorizerFunction[0-9A-F]{8}$/),
        configSource: 'config.json in the asset',
        issuers: [{ kind: 'cognito', issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Fixture1', algorithms: undefined }],
        cacheKeyScope: 'token',
        cacheKeyScopeReason: "one cached answer per token is exact for every route: no route's ARN pattern reaches the paths of a route whose own pattern reaches a third",
      },
    ]);
  });

  test('stage: access log destination, execution logging, tracing and web ACL', () => {
    expect(report.apis[0]!.stages).toEqual([
      {
        logicalId: expect.stringMatching(/^ApiDeploymentStageprod/),
        stageName: 'prod',
        accessLogDestination: expect.stringMatching(/^AccessLogs[0-9A-F]{8}$/),
        loggingLevel: 'ERROR',
        dataTraceEnabled: false,
        tracingEnabled: true,
        webAcls: ['WebAcl'],
      },
    ]);
  });

  test('WAF: rules by priority with their actions, association, logging and redaction', () => {
    expect(report.webAcls).toEqual([
      {
        logicalId: 'WebAcl',
        name: 'fixture-acl',
        scope: 'REGIONAL',
        defaultAction: 'Allow',
        rules: [
          { priority: 0, name: 'RateLimit', statement: 'more than 100 requests per 60 s per IP', action: 'Block (429)' },
          {
            priority: 1,
            name: 'CommonRuleSet',
            statement: 'managed rule group AWS AWSManagedRulesCommonRuleSet (overridden: SizeRestrictions_BODY)',
            action: "the group's own actions",
          },
        ],
        associatedWith: [expect.stringMatching(/^stage prod \(ApiDeploymentStageprod[0-9A-F]{8}\)$/)],
        logDestinations: [expect.stringMatching(/^WafLogs[0-9A-F]{8}$/)],
        redactedFields: ['header authorization', 'header cookie'],
      },
    ]);
  });

  test('logging: retention, encryption, deletion policy and users of each log group; implicit groups named', () => {
    expect(report.logGroups.map((group) => [group.logicalId.replace(/[0-9A-F]{8}$/, ''), group.name, group.retentionDays, group.kmsKey?.replace(/[0-9A-F]{8}$/, ''), group.deletionPolicy, group.usedBy.map((use) => use.replace(/[0-9A-F]{8}$/, ''))])).toEqual([
      ['AccessLogs', undefined, 365, 'LogKey', 'Retain', ['access log of stage prod']],
      ['AuthorizerLogs', undefined, 90, undefined, 'Retain', ['log of function AuthorizerFunction']],
      ['WafLogs', 'aws-waf-logs-fixture', 30, undefined, 'Delete', ['WAF log']],
    ]);
    expect(report.functionsWithImplicitLogGroups).toEqual([expect.stringMatching(/^ItemsFunction[0-9A-F]{8}$/)]);
  });

  test('acknowledged rules from construct metadata and from template cdk_nag metadata, with reasons', () => {
    expect(report.acknowledgements).toEqual([
      { rule: 'AwsSolutions-COG4', reason: 'Methods use a Lambda JWT authorizer, not a Cognito authorizer.', scopes: ['/Fixture'] },
      {
        rule: 'AwsSolutions-IAM4',
        reason: 'The basic execution role is the managed policy AWS recommends for logging.',
        scopes: [expect.stringMatching(/^ItemsFunction[0-9A-F]{8}$/)],
      },
      { rule: 'AwsSolutions-L1', reason: 'The runtime is pinned so snapshots stay stable.', scopes: ['/Fixture/AuthorizerFunction'] },
    ]);
  });

  test('without asset metadata, the asset folder is found through the S3 key hash', () => {
    const bare = synthReportFixture({ assetMetadata: false });
    try {
      const stack = readCloudAssembly(bare)[0]!;
      const functions = Object.values(stack.template.Resources!).filter((resource) => resource.Type === 'AWS::Lambda::Function');
      expect(functions.map((fn) => fn.Metadata?.['aws:asset:path'])).toEqual([undefined, undefined]);

      const rows = buildStackReport(stack).apis[0]!.routes;

      expect(rows.find((row) => row.method === 'GET' && row.path === '/items')!.scopes).toEqual(['items/read']);
    } finally {
      rmSync(dirname(bare), { recursive: true, force: true });
    }
  });
});

describe('secure-api report', () => {
  test('happy flow: Markdown with the request path diagram and every section, from cdk.out alone', async () => {
    const result = await runReport(['--cdk-out', cdkOut]);

    expect(result.code).toBe(ExitCode.Ok);
    expect(result.stderr).toBe('');
    const markdown = result.stdout;
    expect(markdown).toMatch(/^# Security report\n/);
    for (const heading of ['## Stack Fixture', '### API fixture-api', '#### Request path', '#### Access matrix', '#### Authorizers', '#### Stages', '### WAF', '### Logging and retention', '### Acknowledged rules']) {
      expect(markdown).toContain(`\n${heading}\n`);
    }
    const diagram = /```mermaid\n([\s\S]*?)```/.exec(markdown)![1];
    expect(diagram).toMatch(/^flowchart LR\n/);
    expect(diagram).toContain('client -->|"HTTPS"| waf');
    expect(diagram).toContain('waf -->|"allowed requests"| api');
    expect(diagram).toContain('api -->|"Authorization header"| authz0');
    expect(diagram).toMatch(/api -->\|"authorized requests"\| backend\d/);
    expect(markdown).toContain('| POST | `/items` | protected | Lambda authorizer ');
    expect(markdown).toContain('| `items/write` | — | prod: 5 rps, burst 10 (route) | Lambda ItemsFunction');
    expect(markdown).toContain('| GET | `/health` | public | none | — | — | prod: 50 rps, burst 100 | mock | — |');
    expect(markdown).toContain('| 0 | RateLimit | more than 100 requests per 60 s per IP | Block (429) |');
    expect(markdown).toContain('| AwsSolutions-COG4 | Methods use a Lambda JWT authorizer, not a Cognito authorizer. | /Fixture |');
  });

  test('happy flow: --out writes the file and names it on stderr; --format json is the model', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'secure-api-report-out-'));
    try {
      const written = await runReport(['--cdk-out', cdkOut, '--out', 'SECURITY.md'], dir);
      const json = await runReport(['--cdk-out', cdkOut, '--format', 'json', '--stack', 'Fixture']);

      expect(written).toEqual({ code: ExitCode.Ok, stdout: '', stderr: 'Wrote the report of Fixture to SECURITY.md.\n' });
      expect(readFileSync(join(dir, 'SECURITY.md'), 'utf8')).toMatch(/^# Security report\n/);
      expect(JSON.parse(json.stdout)).toEqual(JSON.parse(JSON.stringify([report])));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('error flow: a directory without a cloud assembly is exit 3 with what to do', async () => {
    const result = await runReport(['--cdk-out', 'no-such-cdk.out']);

    expect(result).toEqual({
      code: ExitCode.Config,
      stdout: '',
      stderr: 'secure-api: no-such-cdk.out holds no cloud assembly (manifest.json). Run `npx cdk synth` first, or pass its directory to --cdk-out.\n',
    });
  });

  test('error flow: an unknown --stack is exit 3 and lists the stacks', async () => {
    const result = await runReport(['--cdk-out', cdkOut, '--stack', 'Prod']);

    expect(result.code).toBe(ExitCode.Config);
    expect(result.stderr).toBe(`secure-api: ${cdkOut} has no stack Prod (stacks: Fixture). Pass one of those to --stack.\n`);
    expect(existsSync(join(cdkOut, 'manifest.json'))).toBe(true);
  });
});
