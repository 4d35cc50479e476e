#!/usr/bin/env node
// The CDK app that `cdk.json` runs: the demo secure API, configured by the `secureApi` context and
// checked on every synth by the library's API standard and cdk-nag's AwsSolutions, Serverless and NIST 800-53
// rev 5 packs.
import { App, CloudFormationValidatePlugin, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, NIST80053R5Checks, ServerlessChecks } from 'cdk-nag';
import { SecureApiStandard } from '../lib';
import { appConfigFromContext, cloudFormationValidationFromContext } from '../lib/demo/app-config';
import { SecureApiStack } from '../lib/demo/secure-api-stack';

// The built-in CloudFormation validation is registered below, only when the context asks for it: starting its
// engine costs more than the rest of the synth, and the tests run it over the demo and every public scenario.
const app = new App({ builtinCloudFormationValidation: false });
const { stackName, props } = appConfigFromContext(app);
new SecureApiStack(app, stackName, {
  ...props,
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
Validations.of(app).addPlugins(new SecureApiStandard(), new AwsSolutionsChecks(app), new ServerlessChecks(app), new NIST80053R5Checks(app));
if (cloudFormationValidationFromContext(app)) {
  Validations.of(app).addPlugins(new CloudFormationValidatePlugin());
}
