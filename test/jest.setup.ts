// aws-cdk-lib runs its built-in CloudFormation validation (a WebAssembly engine) on every app synthesis
// unless CDK_VALIDATION is 'false'. Starting the engine costs about 5 seconds in each test file's fresh
// module registry, which is most of the suite's time. The unit tests synthesize without it;
// test/lib/cloudformation-validate.test.ts runs it over every public scenario, and test/bin/synth.test.ts
// runs it through the real `cdk synth`, so every template the project ships is still validated.
process.env.CDK_VALIDATION = 'false';
