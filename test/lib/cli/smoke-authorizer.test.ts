/**
 * `secure-api smoke` against the real thing: the shipped authorizer bundle (`assets/authorizer/index.js`,
 * jose inside, built by `npm run bundle`) with the demo route table in its `config.json`, behind the API
 * Gateway simulator (authorizer cache, policy evaluation, status mapping). The smoke checks' expectations
 * must be exactly what the authorizer's contract produces, including a policy cached for one route and
 * reused on another.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { AuthorizerConfig } from '../../../lambda/contract/config-types';
import { ExitCode } from '../../../lib/cli/errors';
import { SHIPPED_BUNDLE, removeDir, stageBundle } from '../../fixtures/bundle';
import { ApiGatewaySimulator, AuthorizerInvoke } from '../../fixtures/events';
import { IssuerDetails, TestDeployment, startTestDeployment } from './fixtures/deployment';
import { DEMO_ROUTES, GatewayAuthorizer } from './fixtures/fake-api';
import { SMOKE_REQUEST_LOG } from './fixtures/smoke';

// The module object itself (not an import namespace), so its writeSync can be spied on as the bundle calls it.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const fs = require('node:fs') as typeof import('node:fs');

let assetDir: string | undefined;
let deployment: TestDeployment;
let simulator: ApiGatewaySimulator;
const decisionLog: string[] = [];

beforeAll(async () => {
  if (!existsSync(SHIPPED_BUNDLE)) {
    throw new Error(`${SHIPPED_BUNDLE} is missing: run \`npm run bundle\` (npm test does it in pretest).`);
  }
  // The bundle writes its decision log to file descriptor 1 with fs.writeSync; keep it for the assertions
  // and out of the test output.
  const writeSync = fs.writeSync;
  jest.spyOn(fs, 'writeSync').mockImplementation(((fd: number, chunk: string | Uint8Array, ...rest: unknown[]) => {
    const text = String(chunk);
    if (fd !== 1 || !text.startsWith('{')) return (writeSync as (...args: unknown[]) => number)(fd, chunk, ...rest);
    decisionLog.push(...text.split('\n').filter((line) => line !== ''));
    return Buffer.byteLength(text);
  }) as typeof fs.writeSync);

  const authorizer = ({ key, issuer, clientId }: IssuerDetails): GatewayAuthorizer => {
    const config: AuthorizerConfig = {
      version: 1,
      issuers: [{ kind: 'cognito', issuer, clientIds: [clientId], keys: [key.publicJwk] }],
      routes: DEMO_ROUTES.map((route) => ({ method: route.method as 'GET', path: route.path, scopes: [route.scope] })),
      cacheKeyScope: 'token',
    };
    assetDir = stageBundle(SHIPPED_BUNDLE, config);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { handler } = require(join(assetDir, 'index.js')) as { handler: AuthorizerInvoke };
    simulator = new ApiGatewaySimulator(handler, { type: 'REQUEST', cacheKeyScope: 'token', ttlSeconds: 300 });
    return async (call) => (await simulator.request(call)).status;
  };
  deployment = await startTestDeployment({ withApi: true, authorizer });
});

afterAll(async () => {
  jest.restoreAllMocks();
  await deployment.close();
  if (assetDir !== undefined) {
    removeDir(assetDir);
  }
});

test('happy flow: the demo routes behind the real authorizer bundle pass every smoke check', async () => {
  const result = await deployment.run(['smoke']);

  expect(result.stderr).toBe(deployment.outputsNote('ApiUrl', 'ItemsReadScope', 'ItemsWriteScope', 'TokenEndpoint', 'MachineClientId', 'UserPoolId'));
  expect(result.code).toBe(ExitCode.Ok);
  expect(result.stdout).toMatch(/\n\n4 checks passed\.\n$/);
  expect(deployment.api!.log).toEqual(SMOKE_REQUEST_LOG);
  // The forged token and the valid one reach the authorizer; the write route reuses the cached answer.
  expect(simulator.invocations).toBe(2);
  expect(decisionLog.map((line) => JSON.parse(line) as { route: string; decision: string; reason: string })).toEqual([
    expect.objectContaining({ route: 'GET /items', decision: 'unauthorized', reason: 'BAD_SIGNATURE' }),
    expect.objectContaining({ route: 'GET /items', decision: 'allow', reason: 'ALLOW' }),
  ]);
});
