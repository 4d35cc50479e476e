import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { ApiScope, SecureApi, TokenIssuer } from '../../../lib';
import { locateAuthorizerBundle, stableStringify } from '../../../lib/authorizer/authorizer-asset';

const READ = ApiScope.of('https://api.example.com', 'items.read', 'Read items');
const WRITE = ApiScope.of('https://api.example.com', 'items.write', 'Write items');

const outdirs: string[] = [];
afterAll(() => outdirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

/** Synthesizes the same app into a fresh temporary outdir; routes are added in the given order. */
function synthesize(routes: Array<[string, ApiScope]>) {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'secure-api-asset-test-'));
  outdirs.push(outdir);
  const app = new App({ outdir });
  const stack = new Stack(app, 'Stack', { env: { account: '123456789012', region: 'eu-west-1' } });
  const userPool = new cognito.UserPool(stack, 'Pool');
  const api = new SecureApi(stack, 'Api', { issuers: [TokenIssuer.cognito({ userPool, clientIds: ['client-a'] })] });
  for (const [route, scope] of routes) {
    api.addRoute(route, new apigw.MockIntegration(), { scopes: [scope] });
  }
  const assembly = app.synth();
  const template = assembly.getStackByName('Stack').template as { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };
  const fn = Object.values(template.Resources).find((resource) => resource.Type === 'AWS::Lambda::Function');
  const key = (fn?.Properties.Code as { S3Key: string }).S3Key;
  const hash = key.replace(/\.zip$/, '');
  return { api, hash, assetDir: path.join(assembly.directory, `asset.${hash}`) };
}

describe('authorizer asset', () => {
  test('asset hash is the same for the same app synthesized into two outdirs, whatever the route order', () => {
    const first = synthesize([
      ['GET /items', READ],
      ['POST /items', WRITE],
    ]);
    const second = synthesize([
      ['POST /items', WRITE],
      ['GET /items', READ],
    ]);
    expect(second.hash).toBe(first.hash);
    expect(second.assetDir).not.toBe(first.assetDir);
    expect(fs.readFileSync(path.join(second.assetDir, 'config.json'), 'utf8')).toBe(
      fs.readFileSync(path.join(first.assetDir, 'config.json'), 'utf8'),
    );
  });

  test('config.json is canonical json holding the route table and the bundle is copied unchanged', () => {
    const { api, assetDir } = synthesize([['GET /items', READ]]);
    const text = fs.readFileSync(path.join(assetDir, 'config.json'), 'utf8');
    const parsed = JSON.parse(text) as unknown;
    expect(text).toBe(`${stableStringify(parsed)}\n`);
    expect(text).toBe(`${api.authorizer.configJson}\n`);
    expect(parsed).toEqual({
      version: 1,
      cacheKeyScope: 'token',
      clockSkewSeconds: 60,
      keys: { fetchTimeoutMs: 1500, maxAgeSeconds: 900, cooldownSeconds: 30, graceSeconds: 3600 },
      maxTokenLifetimeSeconds: 86400,
      routes: [{ method: 'GET', path: '/items', scopes: ['https://api.example.com/items.read'], conditions: [] }],
    });
    expect(text).not.toContain('${Token[');
    expect(fs.readFileSync(path.join(assetDir, 'index.js'))).toEqual(fs.readFileSync(path.join(locateAuthorizerBundle(), 'index.js')));
    expect(fs.readdirSync(assetDir).sort()).toEqual(['config.json', 'index.js']);
  });

  test('asset hash changes when a route scope changes', () => {
    expect(synthesize([['GET /items', READ]]).hash).not.toBe(synthesize([['GET /items', WRITE]]).hash);
  });

  test('stable stringify sorts keys at every level and drops undefined members', () => {
    expect(stableStringify({ b: 1, a: { d: [{ z: 1, y: undefined, x: 2 }], c: 'x' } })).toBe('{"a":{"c":"x","d":[{"x":2,"z":1}]},"b":1}');
  });
});
