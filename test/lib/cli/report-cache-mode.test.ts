/**
 * `secure-api report` names each API's authorizer cache key scope and why, read from the cloud assembly
 * alone (the route table in the authorizer's staged `config.json`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import { ApiScope, SecureApi, TokenIssuer } from '../../../lib';
import { readCloudAssembly } from '../../../lib/cli/cloud-assembly';
import { buildStackReport, type StackReport } from '../../../lib/cli/report';
import { renderReportMarkdown } from '../../../lib/cli/report';

const READ = ApiScope.of('https://api.example.com', 'items.read', 'Read items');
const ADMIN = ApiScope.of('https://api.example.com', 'items.admin', 'Administer items');

let cdkOut: string;
let report: StackReport;

beforeAll(() => {
  cdkOut = join(mkdtempSync(join(tmpdir(), 'secure-api-cache-mode-')), 'cdk.out');
  const app = new App({ outdir: cdkOut, context: { 'aws:cdk:enable-asset-metadata': true } });
  const stack = new Stack(app, 'Overlap', { env: { account: '123456789012', region: 'eu-west-1' } });
  const api = new SecureApi(stack, 'Api', { issuers: [TokenIssuer.oidc({ issuerUrl: 'https://login.example.com', audiences: ['api://items'] })] });
  api.addRoute('GET /items/{id}', new apigw.MockIntegration(), { scopes: [READ] });
  api.addRoute('GET /items/{id}/secret', new apigw.MockIntegration(), { scopes: [ADMIN] });
  app.synth();
  report = buildStackReport(readCloudAssembly(cdkOut)[0]!);
});

afterAll(() => {
  rmSync(dirname(cdkOut), { recursive: true, force: true });
});

describe('report of the cache key scope', () => {
  test('an API whose routes overlap is reported in route scope, naming the routes that force it', () => {
    const [authorizer] = report.apis[0]!.authorizers;
    expect(authorizer).toMatchObject({
      cacheKeyScope: 'route',
      identitySource: 'method.request.header.Authorization,context.httpMethod,context.resourcePath',
      cacheKeyScopeReason:
        'the ARN pattern GET/items/* of GET /items/{id}/secret matches paths of GET /items/{id}, whose own pattern GET/items/* matches paths of GET /items/{id}/secret: ' +
        'no single cached policy allows GET /items/{id}/secret but refuses GET /items/{id}, so each answer is cached per method and resource',
    });
  });

  test('the Markdown report shows the scope and its reason in the authorizer table', () => {
    const markdown = renderReportMarkdown([report], { cdkOut });
    expect(markdown).toContain('| route: the ARN pattern GET/items/* of GET /items/{id}/secret matches paths of GET /items/{id},');
  });
});
