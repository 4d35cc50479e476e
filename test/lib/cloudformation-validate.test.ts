/**
 * The CloudFormation validation built into aws-cdk-lib (resource schemas and CloudFormation's own rules,
 * run by a WebAssembly engine at synthesis) over every public scenario. The other unit tests switch it
 * off (test/jest.setup.ts) because starting the engine costs seconds per test file; this file switches it
 * back on, so it runs as in any CDK app (one engine for the process, shared by the scenarios).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, CfnResource, CloudFormationValidatePlugin, Stack } from 'aws-cdk-lib';
import { DATA_PROTECTION_SCENARIOS, SCENARIOS } from './scenarios';

interface ValidationReport {
  readonly pluginReports?: ReadonlyArray<{
    readonly pluginName: string;
    readonly summary?: { readonly status?: string };
    readonly violations?: ReadonlyArray<{ readonly ruleName: string; readonly description?: string; readonly violatingResources?: ReadonlyArray<{ readonly resourceLogicalId?: string }> }>;
  }>;
}

beforeAll(() => {
  delete process.env.CDK_VALIDATION;
});

/** Every finding of the CloudFormation validation in an app's report (a plugin without findings is left out of it). */
function findings(app: App): string[] {
  const assembly = app.synth();
  const report = JSON.parse(fs.readFileSync(path.join(assembly.directory, 'validation-report.json'), 'utf8')) as ValidationReport;
  return (report.pluginReports ?? [])
    .filter((entry) => entry.pluginName === CloudFormationValidatePlugin.PLUGIN_NAME)
    .flatMap((entry) => entry.violations ?? [])
    .flatMap((violation) =>
      (violation.violatingResources ?? [{}]).map((resource) => `${violation.ruleName} ${resource.resourceLogicalId ?? ''}: ${violation.description ?? ''}`),
    );
}

describe('CloudFormation validation', () => {
  test('reports a resource property CloudFormation does not know (the check can fail)', () => {
    const app = new App();
    const stack = new Stack(app, 'Broken');
    new CfnResource(stack, 'Topic', { type: 'AWS::SNS::Topic', properties: { NotAProperty: 'x' } });
    // CDK also prints the warning it reports; the test reads the report.
    const quiet = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      expect(findings(app).join('\n')).toContain("'NotAProperty' was unexpected");
    } finally {
      quiet.mockRestore();
    }
  });

  test.each([...SCENARIOS, ...DATA_PROTECTION_SCENARIOS].map((scenario) => [scenario.name, scenario]))('%s has no CloudFormation validation finding', (_name, scenario) => {
    expect(findings(scenario.build().app)).toEqual([]);
  });
});
