#!/usr/bin/env node
// The CDK app that `cdk.json` runs: the demo secure API, configured by the `secureApi` context and
// checked by cdk-nag's AwsSolutions, Serverless and NIST 800-53 rev 5 packs on every synth.
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, NIST80053R5Checks, ServerlessChecks } from 'cdk-nag';
import { appConfigFromContext } from '../lib/demo/app-config';
import { SecureApiStack } from '../lib/demo/secure-api-stack';

const app = new App();
const { stackName, props } = appConfigFromContext(app);
new SecureApiStack(app, stackName, {
  ...props,
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app), new NIST80053R5Checks(app));
