import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, NIST80053R5Checks, NagPack, ServerlessChecks } from 'cdk-nag';
import { DATA_PROTECTION_SCENARIOS, SCENARIOS } from './scenarios';

/** Runs a pack over the app as synthesis leaves it (aspects applied, acknowledgements recorded). */
function unacknowledged(app: App, pack: NagPack): string[] {
  return pack
    .validateScope(app)
    .violations.flatMap((violation) => violation.violatingResources.map((resource) => `${violation.ruleName} ${violation.severity} ${resource.constructPath}`))
    .sort();
}

/** Every acknowledgement recorded in the construct tree: rule id, construct path, reason. */
function acknowledgements(app: App): { rule: string; path: string; reason: string }[] {
  return app.node
    .findAll()
    .flatMap((construct) =>
      construct.node.metadata
        .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
        .flatMap((entry) =>
          Object.entries(entry.data as Record<string, string>).map(([rule, reason]) => ({
            rule: rule.replace(/^annotation::/i, ''),
            path: construct.node.path,
            reason,
          })),
        ),
    );
}

describe('cdk-nag', () => {
  // One synthesis per scenario serves both checks.
  describe.each([...SCENARIOS, ...DATA_PROTECTION_SCENARIOS].map((scenario) => [scenario.name, scenario]))('%s', (_name, scenario) => {
    let app: App;
    beforeAll(() => {
      app = scenario.build().app;
      app.synth();
    });

    test('has no unacknowledged AwsSolutions, Serverless or NIST 800-53 R5 finding', () => {
      expect([
        ...unacknowledged(app, new AwsSolutionsChecks()),
        ...unacknowledged(app, new ServerlessChecks()),
        ...unacknowledged(app, new NIST80053R5Checks()),
      ]).toEqual([]);
    });

    test('every acknowledgement carries a reason a reviewer can check', () => {
      const acks = acknowledgements(app);
      expect(acks.length).toBeGreaterThan(0);
      for (const ack of acks) {
        // The API standard's own rules (SecureApi-...) are acknowledged the same way, e.g. for a data-minimising log profile.
        expect(ack.rule).toMatch(/^(AwsSolutions|Serverless|NIST\.800\.53\.R5|SecureApi)-[A-Za-z0-9]+(\[.+\])?$/);
        // A reason says why the finding does not apply or what compensates for it, not just that it was seen.
        expect(ack.reason.length).toBeGreaterThanOrEqual(60);
      }
    });
  });

  test('the demo app synthesizes with the three packs registered through Validations and reports no violation', () => {
    const scenario = SCENARIOS[0]!;
    const { app } = scenario.build();
    // The packs run as validation plugins, as in bin/app.ts; an error-level finding would throw here.
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app), new NIST80053R5Checks(app));
    const assembly = app.synth();
    const reportFile = path.join(assembly.directory, 'validation-report.json');
    const report = fs.existsSync(reportFile) ? (JSON.parse(fs.readFileSync(reportFile, 'utf8')) as { pluginReports?: { pluginName: string; violations?: unknown[] }[] }) : { pluginReports: [] };
    const nagReports = (report.pluginReports ?? []).filter((plugin) => /AwsSolutions|Serverless|NIST/i.test(plugin.pluginName));
    expect(nagReports.flatMap((plugin) => plugin.violations ?? [])).toEqual([]);
  });
});
