/**
 * `secure-api report` over the real demo stack (`SecureApiStack`), synthesized into a temporary cloud
 * assembly: the access matrix must show exactly the demo's routes with the scopes and conditions the
 * stack declares, read back from the authorizer's asset.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { readCloudAssembly } from '../../../lib/cli/cloud-assembly';
import { ExitCode } from '../../../lib/cli/errors';
import { StackReport, buildStackReport } from '../../../lib/cli/report';
import { SECURE_API_DEFAULTS, WEB_ACL_DEFAULTS } from '../../../lib/defaults';
import { SecureApiStack } from '../../../lib/demo/secure-api-stack';
import { runOffline } from './fixtures/deployment';

let cdkOut: string;
let report: StackReport;

beforeAll(() => {
  cdkOut = join(mkdtempSync(join(tmpdir(), 'secure-api-demo-report-')), 'cdk.out');
  // The CDK CLI records asset paths on resources by default; a bare App needs the context set.
  const app = new App({ outdir: cdkOut, context: { 'aws:cdk:enable-asset-metadata': true } });
  new SecureApiStack(app, 'Demo');
  app.synth();
  report = buildStackReport(readCloudAssembly(cdkOut)[0]!);
});

afterAll(() => {
  rmSync(dirname(cdkOut), { recursive: true, force: true });
});

describe('report over the demo stack', () => {
  test('access matrix: the demo routes with their scopes, the admin group condition and stage throttling', () => {
    const { rateLimit, burstLimit } = SECURE_API_DEFAULTS.throttle;

    expect(report.apis).toHaveLength(1);
    expect(
      report.apis[0]!.routes.map((row) => ({
        route: `${row.method} ${row.path}`,
        access: row.access,
        scopes: row.scopes,
        conditions: row.conditions,
        throttling: row.throttling.map((t) => `${t.stage} ${t.rateLimit}/${t.burstLimit}`),
        notes: row.notes,
      })),
    ).toEqual([
      { route: 'GET /admin/stats', access: 'protected', scopes: ['items/read'], conditions: ['cognito:groups contains admin'], throttling: [`prod ${rateLimit}/${burstLimit}`], notes: [] },
      { route: 'GET /items', access: 'protected', scopes: ['items/read'], conditions: [], throttling: [`prod ${rateLimit}/${burstLimit}`], notes: [] },
      { route: 'POST /items', access: 'protected', scopes: ['items/write'], conditions: [], throttling: [`prod ${rateLimit}/${burstLimit}`], notes: [] },
      { route: 'GET /items/{id}', access: 'protected', scopes: ['items/read'], conditions: [], throttling: [`prod ${rateLimit}/${burstLimit}`], notes: [] },
      { route: 'DELETE /items/{id}', access: 'protected', scopes: ['items/write'], conditions: [], throttling: [`prod ${rateLimit}/${burstLimit}`], notes: [] },
    ]);
    expect(new Set(report.apis[0]!.routes.map((row) => row.authorization)).size).toBe(1);
  });

  test('the authorizer configuration is read from the asset and the environment variable, as the runtime merges them', () => {
    const authorizer = report.apis[0]!.authorizers[0]!;

    expect(authorizer).toMatchObject({ type: 'REQUEST', cacheKeyScope: 'token', configSource: 'config.json in the asset + SECURE_API_AUTHORIZER_CONFIG' });
    expect(authorizer.issuers.map((issuer) => issuer.kind)).toEqual(['cognito']);
  });

  test('the stage sits behind the web ACL, every log group has a retention, and COG4 is acknowledged with a reason', () => {
    expect(report.apis[0]!.stages[0]!.webAcls).toEqual([report.webAcls[0]!.logicalId]);
    expect(report.webAcls[0]!.redactedFields).toEqual(expect.arrayContaining(['header authorization']));
    // What the probe's body cases need: the web ACL's body limit, and the model of the validated route.
    expect(report.webAcls[0]!.maxBodySize).toBe(WEB_ACL_DEFAULTS.maxBodySize.toBytes());
    expect(report.apis[0]!.routes.filter((row) => row.requestBodySchema !== undefined).map((row) => `${row.method} ${row.path}`)).toEqual(['POST /items']);
    expect(report.logGroups.length).toBeGreaterThan(0);
    expect(report.logGroups.filter((group) => group.retentionDays === undefined)).toEqual([]);
    expect(report.functionsWithImplicitLogGroups).toEqual([]);
    const wafLogs = report.logGroups.find((group) => group.usedBy.includes('WAF log'));
    expect(wafLogs?.name).toMatch(/^aws-waf-logs-Demo-Api-WebAcl-[0-9A-F]{8}-\$\{stack id UUID\}$/);
    const cog4 = report.acknowledgements.find((ack) => ack.rule === 'AwsSolutions-COG4');
    expect(cog4?.reason).toMatch(/\S{10,}/);
  });

  test('secure-api report prints the demo matrix as Markdown', async () => {
    const result = await runOffline(['report', '--stack', 'Demo'], dirname(cdkOut));

    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: ExitCode.Ok, stderr: '' });
    expect(result.stdout).toMatch(/\| GET \| `\/admin\/stats` \| protected \| Lambda authorizer \S+ \| `items\/read` \| cognito:groups contains admin \|/);
    expect(result.stdout).toMatch(/\| ApiWebAclLogGroup[0-9A-F]{8} \| aws-waf-logs-Demo-Api-WebAcl-[0-9A-F]{8}-\$\{stack id UUID\} \| 365 days \|/);
    expect(result.stdout).not.toContain('Fn::');
    expect(result.stdout).toMatch(/\| DELETE \| `\/items\/\{id\}` \| protected \| Lambda authorizer \S+ \| `items\/write` \| — \|/);
  });
});
