/**
 * The data-protection view of `secure-api report`, over real SecureApis synthesized with each log profile:
 * the personal data of each log, read back from the template and the authorizer's configuration.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as logs from 'aws-cdk-lib/aws-logs';
import { readCloudAssembly } from '../../../lib/cli/cloud-assembly';
import { type StackReport, buildStackReport, renderReportMarkdown } from '../../../lib/cli/report';
import { assetFolder } from '../../../lib/cli/report/authorizer-config';
import { ApiScope, SecureApi, type SecureApiProps, TokenIssuer } from '../../../lib';
import type { LogProfile } from '../../../lib/data-protection';
import { CONFIG_FILE_NAME } from '../../../lambda/contract';

const roots: string[] = [];

/** Synthesizes one SecureApi with the given props into a cloud assembly of its own and builds its report. */
function reportOf(props: Partial<SecureApiProps>, decisionProfile?: LogProfile): StackReport {
  const root = mkdtempSync(join(tmpdir(), 'secure-api-report-dp-'));
  roots.push(root);
  const outdir = join(root, 'cdk.out');
  const app = new App({ outdir, context: { 'aws:cdk:enable-asset-metadata': true } });
  const stack = new Stack(app, 'Api', { env: { account: '123456789012', region: 'eu-west-1' } });
  const api = new SecureApi(stack, 'Api', {
    issuers: [TokenIssuer.oidc({ issuerUrl: 'https://login.example.com/', audiences: ['https://api.example.com'] })],
    ...props,
  });
  api.addRoute('GET /items/{id}', new apigw.MockIntegration(), { scopes: [ApiScope.of('items', 'read', 'Read items')] });
  app.synth();
  const [assembly] = readCloudAssembly(outdir);
  if (decisionProfile !== undefined) {
    // The decision log's profile is what the authorizer's configuration says; written here while the
    // configuration does not carry the construct's logProfile yet, left as it is once it does.
    const fn = Object.values(assembly!.template.Resources ?? {}).find((resource) => resource.Type === 'AWS::Lambda::Function' && resource.Metadata?.['aws:asset:path'] !== undefined);
    const file = join(assetFolder(assembly!, fn!)!, CONFIG_FILE_NAME);
    const config = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    writeFileSync(file, JSON.stringify({ logProfile: decisionProfile, ...config }));
  }
  return buildStackReport(assembly!);
}

afterAll(() => {
  roots.forEach((root) => rmSync(root, { recursive: true, force: true }));
});

function fieldsByKind(report: StackReport): Record<string, readonly string[]> {
  return Object.fromEntries(report.dataProtection[0]!.logs.map((log) => [log.kind, log.personalFields]));
}

describe('report: data protection', () => {
  test('full profile: the access log holds the IP address and the principal, the decision log sub and client id', () => {
    const report = reportOf({});
    const view = report.dataProtection[0]!;

    expect(view.logProfile).toBe('full');
    expect(view.logs.map((log) => log.kind)).toEqual(['access', 'decision', 'waf', 'execution']);
    expect(fieldsByKind(report)).toEqual({
      access: ['IP address', 'principal', 'client id', 'sub'],
      decision: ['sub', 'client id', 'concrete path (requests that match no route)'],
      waf: ['IP address', 'country', 'concrete path', 'query string', 'request headers (user agent, referer...)'],
      execution: ['request parameter values (in some error messages)'],
    });
    for (const log of view.logs) {
      expect(log).toMatchObject({ retentionDays: 365, deletionPolicy: 'Retain', logGroup: expect.any(String) });
      expect(log.kmsKey).toBeUndefined();
    }
    expect(view.logs.find((log) => log.kind === 'decision')!.source).toMatch(/^logProfile 'full' in config\.json in the asset/);
    expect(view.logs.find((log) => log.kind === 'waf')!.notes).toEqual(['redacted headers: authorization, cookie, x-api-key', 'only the requests the filter keeps (blocked or counted)']);
    expect(report.denyLists).toEqual([]);
  });

  test('minimal profile: no IP address in the access log, no concrete path in the decision log', () => {
    const report = reportOf({ logProfile: 'minimal' }, 'minimal');

    expect(report.dataProtection[0]!.logProfile).toBe('minimal');
    expect(fieldsByKind(report)).toMatchObject({ access: ['principal', 'client id', 'sub'], decision: ['sub', 'client id'] });
  });

  test('pseudonymous profile: the access log keeps only the pseudonym of sub, the decision log only pseudonyms', () => {
    const report = reportOf({ logProfile: 'pseudonymous' }, 'pseudonymous');

    expect(fieldsByKind(report)).toMatchObject({ access: ['principal (pseudonym of sub)'], decision: ['sub pseudonym', 'client id pseudonym'] });
  });

  test('an access log that keeps what the authorizer profile leaves out is flagged', () => {
    const report = reportOf({ logProfile: 'full' }, 'pseudonymous');
    const access = report.dataProtection[0]!.logs.find((log) => log.kind === 'access')!;

    expect(access.personalFields).toEqual(['IP address', 'principal (pseudonym of sub)', 'client id', 'sub']);
    expect(access.notes).toContain("holds IP address, client id, sub, which logProfile 'pseudonymous' leaves out");
  });

  test('retention per log and the execution log at INFO are reported per log', () => {
    const report = reportOf({
      logProfile: 'minimal',
      executionLogLevel: 'INFO',
      logRetention: { access: logs.RetentionDays.THREE_MONTHS, decision: logs.RetentionDays.SIX_MONTHS, waf: logs.RetentionDays.ONE_MONTH, execution: logs.RetentionDays.TWO_WEEKS },
    }, 'minimal');
    const byKind = Object.fromEntries(report.dataProtection[0]!.logs.map((log) => [log.kind, log]));

    expect([byKind.access!.retentionDays, byKind.decision!.retentionDays, byKind.waf!.retentionDays, byKind.execution!.retentionDays]).toEqual([90, 180, 30, 14]);
    expect(byKind.execution!.personalFields).toEqual(['request parameter values (path, query string, headers; Authorization redacted)', 'authorizer principal and context (sub, client id)']);
    expect(byKind.execution!.notes).toEqual(["INFO logs the authorizer's context in clear, whatever the logProfile ('minimal')"]);
  });

  test('a deny list is reported with what its entries hold, their expiry, key and removal policy', () => {
    const report = reportOf({ revocation: true });

    expect(report.denyLists).toEqual([
      {
        logicalId: expect.stringMatching(/^ApiDenyListTable/),
        personalFields: ['sub', 'client id', 'token id (jti)', 'operator (createdBy)', 'reason (free text)'],
        timeToLiveAttribute: 'expiresAt',
        encryption: 'AWS managed key (aws/dynamodb)',
        pointInTimeRecovery: true,
        deletionPolicy: 'Retain',
      },
    ]);
  });

  test('markdown: a data-protection section per api, and the deny lists', () => {
    const report = reportOf({ logProfile: 'minimal', revocation: true }, 'minimal');
    const markdown = renderReportMarkdown([report], { cdkOut: 'cdk.out' });

    expect(markdown).toContain('### Data protection');
    expect(markdown).toContain('CloudWatch Logs cannot delete single log events');
    expect(markdown).toContain('#### API RestApi: log profile `minimal`');
    expect(markdown).toMatch(/\n\| access \| prod \| principal, client id, sub \| 365 days \| CloudWatch Logs managed \| retained \| ApiAccessLogs[0-9A-F]{8} \| the access log format \| paths as resource templates \(\/items\/\{id\}\), never the concrete path \|\n/);
    expect(markdown).toContain('#### Deny lists');
    expect(markdown).toMatch(/\| ApiDenyListTable[0-9A-F]{8} \| sub, client id, token id \(jti\), operator \(createdBy\), reason \(free text\) \| at `expiresAt`, when set \(DynamoDB deletes lazily\) \| AWS managed key \(aws\/dynamodb\) \| on \(backups keep deleted entries up to 35 days\) \| retained \|/);
  });
});
