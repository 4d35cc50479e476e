// `cdk-secure-api/nag`: the API standard as a cdk-nag v3 rule pack. A separate entry point, so that only
// apps that use cdk-nag need it installed.
export { SecureApiChecks } from './secure-api-checks';
