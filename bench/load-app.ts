// The app the load run serves: a SecureApi with MOCK backends, one route throttled on its own so that
// over-limit callers meet 429. `node scripts/run-ts.cjs bench/load-app.ts <outdir>` synthesizes it.
import { App, Stack } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import { ApiScope, SecureApi, TokenIssuer } from '../lib';

const outdir = process.argv[2];
if (outdir === undefined) {
  throw new Error('usage: load-app.ts <outdir>');
}
// aws-cdk-lib's template validation is not what this run measures; it would only slow the synth.
const app = new App({ outdir, builtinCloudFormationValidation: false });
const stack = new Stack(app, 'LoadRun', { env: { account: '123456789012', region: 'eu-west-1' } });
const api = new SecureApi(stack, 'Api', {
  issuers: [TokenIssuer.oidc({ issuerUrl: 'https://login.example.com/', audiences: ['https://api.example.com'] })],
  throttle: { rateLimit: 10_000, burstLimit: 5_000 },
  // Every client of the run is 127.0.0.1: the web ACL's per-IP rate rule, which serve enforces, would answer
  // all of them 429 after its limit and leave nothing of the authorizer path to measure.
  webAclOptions: { rateLimit: false },
});
const mock = () =>
  new apigw.MockIntegration({ integrationResponses: [{ statusCode: '200', responseTemplates: { 'application/json': '{"ok":true}' } }], requestTemplates: { 'application/json': '{"statusCode": 200}' } });
api.addRoute('GET /items', mock(), { scopes: [ApiScope.of('items', 'read', 'Read items')] });
api.addRoute('GET /items/{id}', mock(), { scopes: [ApiScope.of('items', 'read', 'Read items')] });
api.addRoute('POST /items', mock(), { scopes: [ApiScope.of('items', 'write', 'Write items')], throttle: { rateLimit: 20, burstLimit: 10 } });
app.synth();
