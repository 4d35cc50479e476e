#!/usr/bin/env node
// `npm run bench`, last part: a load run against a local stage. `secure-api serve` runs a SecureApi on
// 127.0.0.1 with the real authorizer bundle; concurrent clients send valid, invalid and over-limit requests
// for a fixed time; the run prints requests per second, p50 and p99, and checks that every answer is the
// expected one: valid → 200, invalid (expired or forged) → 401, over a route's throttle → 200 or 429.
// Nothing may be lost and no answer may be a 5xx.
//
//   node bench/load.mjs [--seconds 10] [--clients 32]
import { spawn, spawnSync } from 'node:child_process';
import { createPrivateKey, randomUUID, sign } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { median, quantile } from './lib/stats.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { seconds: { type: 'string', default: '10' }, clients: { type: 'string', default: '32' } } });
const seconds = Number(values.seconds);
const clients = Number(values.clients);
if (!(seconds > 0 && Number.isInteger(clients) && clients > 0)) {
  process.stderr.write('usage: node bench/load.mjs [--seconds n] [--clients n]\n');
  process.exit(2);
}

const b64 = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
function token(issuer, key, claims) {
  const input = `${b64({ alg: 'RS256', kid: issuer.kid, typ: 'at+jwt' })}.${b64(claims)}`;
  return `${input}.${sign('sha256', Buffer.from(input), key).toString('base64url')}`;
}

async function main() {
  const work = mkdtempSync(join(tmpdir(), 'secure-api-load-'));
  let serve;
  try {
    process.stderr.write('load: synthesizing the load app\n');
    const synth = spawnSync(process.execPath, [join(root, 'scripts', 'run-ts.cjs'), join(root, 'bench', 'load-app.ts'), join(work, 'cdk.out')], { cwd: root, encoding: 'utf8' });
    if (synth.status !== 0) throw new Error(`synth failed:\n${synth.stderr}`);
    serve = spawn(process.execPath, [join(root, 'scripts', 'run-ts.cjs'), join(root, 'bin', 'secure-api.ts'), 'serve', '--cdk-out', join(work, 'cdk.out'), '--issuer-out', join(work, 'issuer.json')], {
      cwd: root,
      // The authorizer's decision log goes to serve's stdout, as in Lambda; this run does not read it.
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const url = await new Promise((resolveUrl, reject) => {
      let stderr = '';
      serve.stderr.on('data', (chunk) => {
        stderr += chunk;
        const match = / at (http:\/\/127\.0\.0\.1:\d+\/\w+\/) /.exec(stderr);
        if (match) resolveUrl(match[1]);
      });
      serve.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
    });
    const issuer = JSON.parse(readFileSync(join(work, 'issuer.json'), 'utf8'));
    const key = createPrivateKey(issuer.privateKeyPem);
    const now = Math.floor(Date.now() / 1000);
    const claims = (scope, extra = {}) => ({ iss: issuer.issuer, sub: `load-${randomUUID()}`, aud: issuer.audience, client_id: issuer.clientId, scope, iat: now, exp: now + 600, jti: randomUUID(), ...extra });
    // Distinct tokens per client, so the authorizer cache serves a client's repeats, as it would in API Gateway.
    const kinds = [
      { name: 'valid', method: 'GET', path: (i) => `items/${i}`, expected: [200], token: () => token(issuer, key, claims('items/read')) },
      { name: 'invalid', method: 'GET', path: () => 'items', expected: [401], token: (i) => (i % 2 === 0 ? token(issuer, key, claims('items/read', { iat: now - 7200, exp: now - 3600 })) : `${token(issuer, key, claims('items/read')).slice(0, -4)}AAAA`) },
      { name: 'over-limit', method: 'POST', path: () => 'items', expected: [200, 429], token: () => token(issuer, key, claims('items/write')) },
    ];
    const samples = kinds.map(() => ({ latencies: [], statuses: new Map(), unexpected: 0 }));
    let sent = 0;
    let lost = 0;
    const end = Date.now() + seconds * 1000;
    process.stderr.write(`load: ${clients} clients for ${seconds} s against ${url}\n`);
    await Promise.all(
      Array.from({ length: clients }, async (_, client) => {
        const kindIndex = client % kinds.length;
        const kind = kinds[kindIndex];
        const authorization = `Bearer ${kind.token(client)}`;
        for (let i = 0; Date.now() < end; i += 1) {
          const started = performance.now();
          sent += 1;
          try {
            const response = await fetch(new URL(kind.path(i), url), { method: kind.method, headers: { authorization } });
            await response.arrayBuffer();
            const sample = samples[kindIndex];
            sample.latencies.push(performance.now() - started);
            sample.statuses.set(response.status, (sample.statuses.get(response.status) ?? 0) + 1);
            if (!kind.expected.includes(response.status)) sample.unexpected += 1;
          } catch {
            lost += 1;
          }
        }
      }),
    );
    const all = samples.flatMap((sample) => sample.latencies);
    const fiveXx = samples.reduce((n, sample) => n + [...sample.statuses].filter(([status]) => status >= 500).reduce((m, [, count]) => m + count, 0), 0);
    const unexpected = samples.reduce((n, sample) => n + sample.unexpected, 0);
    const lines = [
      '',
      `load run · ${clients} clients · ${seconds} s · local stage (secure-api serve, the real authorizer bundle) · load average ${loadavg()[0].toFixed(2)}`,
      `requests ${sent} · ${(all.length / seconds).toFixed(0)}/s · p50 ${median(all).toFixed(2)} ms · p99 ${quantile(all, 0.99).toFixed(2)} ms · lost ${lost} · 5xx ${fiveXx} · unexpected ${unexpected}`,
      ...kinds.map((kind, i) => `  ${kind.name.padEnd(11)} ${String(samples[i].latencies.length).padStart(7)} requests  p50 ${median(samples[i].latencies).toFixed(2)} ms  p99 ${quantile(samples[i].latencies, 0.99).toFixed(2)} ms  statuses ${[...samples[i].statuses].map(([status, count]) => `${status}×${count}`).join(' ')}  expected ${kind.expected.join('/')}`),
      `every answer expected, nothing lost, no 5xx: ${lost === 0 && fiveXx === 0 && unexpected === 0 ? 'PASS' : 'MISS'}`,
      '',
    ];
    process.stdout.write(lines.join('\n'));
  } finally {
    serve?.kill('SIGTERM');
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error) => {
  process.stderr.write(`load: failed: ${error.stack ?? error}\n`);
  process.exit(1);
});
