import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { CLOUDFORMATION_VALIDATION_CONTEXT_KEY } from '../../lib/demo/app-config';

const ROOT = path.join(__dirname, '..', '..');

interface Report {
  pluginReports?: { pluginName: string; violations?: { ruleName: string }[] }[];
}

describe('npx cdk synth', () => {
  let outdir: string;

  beforeAll(() => {
    outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-synth-'));
  });
  afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

  test('the app synthesizes the demo with no context, offline, with no cdk-nag or CloudFormation validation finding', async () => {
    // The real CLI running the app of cdk.json, without network: no version check, no notices, no telemetry.
    // With aws-cdk-lib's CloudFormation validation switched on, the one documented switch away from the
    // default synth (the unit tests switch it off through CDK_VALIDATION, which would override the switch).
    const { CDK_VALIDATION: _off, ...environment } = process.env;
    const validation = `${CLOUDFORMATION_VALIDATION_CONTEXT_KEY}=true`;
    const { stdout, stderr } = await promisify(execFile)('npx', ['cdk', 'synth', '--quiet', '--no-notices', '-c', validation, '-o', outdir], {
      cwd: ROOT,
      env: { ...environment, CDK_DISABLE_VERSION_CHECK: '1', CDK_DISABLE_CLI_TELEMETRY: 'true', CI: 'true' },
      timeout: 120_000,
    });
    const output = `${stdout}\n${stderr}`;
    expect(output).not.toMatch(/AwsSolutions-|Serverless-|Synthesis finished with errors/);
    // cdk.json carries the recommended feature flags of the installed aws-cdk-lib.
    expect(output).not.toMatch(/feature flags are not configured/);

    const template = JSON.parse(fs.readFileSync(path.join(outdir, 'SecureApiDemo.template.json'), 'utf8')) as { Outputs: Record<string, unknown> };
    expect(Object.keys(template.Outputs)).toEqual(
      expect.arrayContaining(['ApiUrl', 'TokenEndpoint', 'UserPoolId', 'MachineClientId', 'WebClientId', 'ItemsReadScope', 'ItemsWriteScope', 'AccessLogGroupName', 'AuthorizerLogGroupName']),
    );
    const reportFile = path.join(outdir, 'validation-report.json');
    const report = (fs.existsSync(reportFile) ? JSON.parse(fs.readFileSync(reportFile, 'utf8')) : {}) as Report;
    // Every plugin that ran: cdk-nag's AwsSolutions, Serverless and NIST 800-53 R5 packs (bin/app.ts) and
    // the CloudFormation validation (a plugin without findings is left out of the report).
    const violations = (report.pluginReports ?? []).flatMap((plugin) => (plugin.violations ?? []).map((violation) => `${plugin.pluginName}: ${violation.ruleName}`));
    expect(violations).toEqual([]);
  }, 120_000);
});
