import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as cdk from 'aws-cdk-lib';
import { CLOUDFORMATION_VALIDATION_CONTEXT_KEY } from '../../lib/demo/app-config';

const ROOT = path.join(__dirname, '..', '..');
const CDK_JSON_CONTEXT = (JSON.parse(fs.readFileSync(path.join(ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> }).context;

/**
 * The validation plugins bin/app.ts registers when it runs with the given context, as the CLI hands it over,
 * with aws-cdk-lib's built-in CloudFormation validation listed as `(built in)` when the app leaves it on.
 */
function pluginsRegisteredWith(context: Record<string, unknown>): string[] {
  const saved = { context: process.env.CDK_CONTEXT_JSON, validation: process.env.CDK_VALIDATION };
  process.env.CDK_CONTEXT_JSON = JSON.stringify(context);
  delete process.env.CDK_VALIDATION;
  const registered: string[] = [];
  try {
    // The app's own copy of aws-cdk-lib, so the spies and `instanceof` see the classes the app uses.
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { App, CloudFormationValidatePlugin, Validations } = require('aws-cdk-lib') as typeof cdk;
      const validationsOf = Validations.of.bind(Validations);
      jest.spyOn(Validations, 'of').mockImplementation((scope) => {
        if (scope instanceof App && scope._builtinCloudFormationValidation && !registered.includes('(built in)')) {
          registered.push('(built in)');
        }
        return validationsOf(scope);
      });
      jest.spyOn(Validations.prototype, 'addPlugins').mockImplementation((...plugins) => {
        registered.push(...plugins.map((plugin) => (plugin instanceof CloudFormationValidatePlugin ? 'CloudFormationValidatePlugin' : plugin.name)));
      });
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      require('../../bin/app');
    });
  } finally {
    jest.restoreAllMocks();
    restore('CDK_CONTEXT_JSON', saved.context);
    restore('CDK_VALIDATION', saved.validation);
  }
  return registered;
}

function restore(name: string, value: string | undefined): void {
  if (value === undefined) {
    delete process.env[name];
  } else {
    process.env[name] = value;
  }
}

describe('the demo app of cdk.json', () => {
  test('runs the API standard and the three cdk-nag packs and, with the context of cdk.json, not the CloudFormation validation', () => {
    expect(CDK_JSON_CONTEXT[CLOUDFORMATION_VALIDATION_CONTEXT_KEY]).toBe(false);
    expect(pluginsRegisteredWith(CDK_JSON_CONTEXT)).toEqual(['SecureApiStandard', 'AwsSolutions', 'Serverless', 'NIST.800.53.R5']);
  });

  test('runs the CloudFormation validation as well when the context switches it on', () => {
    expect(pluginsRegisteredWith({ ...CDK_JSON_CONTEXT, [CLOUDFORMATION_VALIDATION_CONTEXT_KEY]: 'true' })).toEqual([
      'SecureApiStandard', 'AwsSolutions', 'Serverless', 'NIST.800.53.R5', 'CloudFormationValidatePlugin',
    ]);
  });
});
