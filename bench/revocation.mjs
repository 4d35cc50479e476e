#!/usr/bin/env node
// `npm run bench` (after bench/run.mjs): what the deny-list check costs a warm authorizer. The shipped bundle
// answers the same distinct tokens in fresh processes, configured without a deny list and with one of 1,000
// entries (none of which revokes the bench's tokens, so every decision is an Allow that consulted the list),
// read from a fake DynamoDB on 127.0.0.1 over TLS before the timed decisions. Rounds alternate between the two
// configurations; the medians are printed with their ratio.
//
//   node bench/revocation.mjs [--tokens <n>] [--warmup <n>] [--rounds <n>] [--bundle <path>]
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { METHOD_ARN, authorizerEnvironment, createLoopbackCertificate, createSigningKeys, signAccessTokens, startJwksServer } from './lib/fixtures.mjs';
import { median } from './lib/stats.mjs';

const benchDir = dirname(fileURLToPath(import.meta.url));
const root = resolve(benchDir, '..');
const ENTRIES = 1000;

if (process.argv[2] === 'child') {
  // One warm instance: load the bundle, answer the warm-up tokens (the first reads the deny list), then time the rest.
  const [, , , bundle, fixturePath, resultPath] = process.argv;
  const { tokens, warmup } = JSON.parse(readFileSync(fixturePath, 'utf8'));
  const { handler } = createRequire(import.meta.url)(bundle);
  const context = { awsRequestId: 'bench', getRemainingTimeInMillis: () => 3000 };
  let allowed = 0;
  const decide = async (token) => {
    const answer = await handler({ type: 'TOKEN', authorizationToken: `Bearer ${token}`, methodArn: METHOD_ARN }, context);
    if (answer?.policyDocument?.Statement?.some((statement) => statement.Effect === 'Allow')) allowed += 1;
  };
  for (const token of tokens.slice(0, warmup)) await decide(token);
  const started = process.hrtime.bigint();
  for (const token of tokens.slice(warmup)) await decide(token);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  writeFileSync(resultPath, JSON.stringify({ rate: (tokens.length - warmup) / seconds, allowed, total: tokens.length }));
  process.exit(0);
}

const { values: args } = parseArgs({
  options: {
    tokens: { type: 'string', default: '5000' },
    warmup: { type: 'string', default: '2000' },
    rounds: { type: 'string', default: '5' },
    bundle: { type: 'string', default: join(root, 'assets', 'authorizer', 'index.js') },
  },
});
const [timed, warmup, rounds] = [Number(args.tokens), Number(args.warmup), Number(args.rounds)];

/** A fake DynamoDB answering every Scan with one page of the entries. */
async function startDenyListServer(tls, items) {
  const body = JSON.stringify({ Items: items, Count: items.length, ScannedCount: items.length });
  let scans = 0;
  const server = createServer({ key: readFileSync(tls.keyPath), cert: readFileSync(tls.certPath) }, (request, response) => {
    request.resume();
    request.on('end', () => {
      scans += 1;
      response.writeHead(200, { 'content-type': 'application/x-amz-json-1.0', 'content-length': Buffer.byteLength(body) });
      response.end(body);
    });
  });
  await new Promise((done) => server.listen(0, '127.0.0.1', done));
  return { url: `https://127.0.0.1:${server.address().port}`, scans: () => scans, close: () => new Promise((done) => (server.closeAllConnections(), server.close(done))) };
}

const dir = mkdtempSync(join(tmpdir(), 'bench-revocation-'));
try {
  const tls = createLoopbackCertificate(dir);
  if (!tls) throw new Error('openssl is needed for the TLS endpoints of this bench');
  const keys = await createSigningKeys();
  const now = Math.floor(Date.now() / 1000);
  const tokens = await signAccessTokens(keys, warmup + timed, now);
  const fixturePath = join(dir, 'fixture.json');
  writeFileSync(fixturePath, JSON.stringify({ tokens, warmup }));
  const jwks = await startJwksServer(keys.jwks, tls);
  const kinds = ['sub', 'client', 'jti', 'before'];
  const items = Array.from({ length: ENTRIES }, (_, i) => ({
    pk: { S: `${kinds[i % 4]}#${kinds[i % 4] === 'before' ? `other-client-${i}` : `revoked-${i}`}` },
    ...(kinds[i % 4] === 'before' ? { issuedBefore: { N: String(now) } } : {}),
    ...(i % 3 === 0 ? { expiresAt: { N: String(now + 86_400) } } : {}),
  }));
  const dynamodb = await startDenyListServer(tls, items);
  const base = authorizerEnvironment(jwks.jwksUri);
  const config = JSON.parse(base.SECURE_API_AUTHORIZER_CONFIG);
  const variants = {
    without: { ...base },
    with: {
      ...base,
      SECURE_API_AUTHORIZER_CONFIG: JSON.stringify({ ...config, denyList: { tableName: 'bench-deny-list', region: 'eu-west-1', endpoint: dynamodb.url, refreshSeconds: 300 } }),
    },
  };
  const environment = {
    PATH: process.env.PATH,
    NODE_EXTRA_CA_CERTS: tls.certPath,
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'AKIDBENCH',
    AWS_SECRET_ACCESS_KEY: 'bench-secret',
    AWS_SESSION_TOKEN: 'bench-session',
  };
  const rates = { without: [], with: [] };
  for (let round = 0; round < rounds; round++) {
    for (const name of round % 2 ? ['with', 'without'] : ['without', 'with']) {
      const resultPath = join(dir, `${name}-${round}.json`);
      await new Promise((done, fail) => {
        const child = spawn(process.execPath, [fileURLToPath(import.meta.url), 'child', resolve(args.bundle), fixturePath, resultPath], {
          env: { ...environment, ...variants[name] },
          stdio: ['ignore', 'ignore', 'inherit'],
        });
        child.on('error', fail);
        child.on('close', (code) => (code === 0 ? done() : fail(new Error(`${name} round ${round} exited with ${code}`))));
      });
      const result = JSON.parse(readFileSync(resultPath, 'utf8'));
      if (result.allowed !== result.total) throw new Error(`${name}: ${result.total - result.allowed} decisions were not Allow`);
      rates[name].push(result.rate);
    }
  }
  if (dynamodb.scans() !== rounds) throw new Error(`expected one Scan per instance with a deny list, saw ${dynamodb.scans()}`);
  const [without, withList] = [median(rates.without), median(rates.with)];
  console.log(`deny-list check, warm decisions per second (median of ${rounds} rounds, ${timed} tokens after ${warmup}):`);
  console.log(`  without a deny list          ${without.toFixed(0)}/s`);
  console.log(`  with ${ENTRIES} entries loaded     ${withList.toFixed(0)}/s`);
  console.log(`  ratio with/without           ${(withList / without).toFixed(3)}`);
  await Promise.all([jwks.close(), dynamodb.close()]);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
