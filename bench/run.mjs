#!/usr/bin/env node
// `npm run bench`: measures our authorizer bundle against peer authorizers built in the same run, on the
// same machine, tokens and key server, and prints each figure with its goal. See bench/README.md.
//
// Exit status: 0 when every measurement ran (a MISS is a finding, not a failure), 1 when something
// failed to run, 2 on bad arguments.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { bundleBaseline, bundleSize, isolateBundle, largestInputs } from './lib/bundle.mjs';
import {
  METHOD_ARN,
  authorizerEnvironment,
  createLoopbackCertificate,
  createSigningKeys,
  signAccessTokens,
  startJwksServer,
} from './lib/fixtures.mjs';
import { evaluateGoals, renderReport } from './lib/report.mjs';
import { median, quantile, summary } from './lib/stats.mjs';

const benchDir = dirname(fileURLToPath(import.meta.url));
const root = resolve(benchDir, '..');
const childScript = join(benchDir, 'child.mjs');

/** Our bundle first, then the peers, in the order the table shows them. */
const IMPLEMENTATIONS = [
  { id: 'ours', label: 'ours' },
  { id: 'awsJwtVerify', label: 'aws-jwt-verify', entry: 'bench/baselines/aws-jwt-verify.mjs' },
  { id: 'jsonwebtoken', label: 'jsonwebtoken+jwks-rsa', entry: 'bench/baselines/jsonwebtoken-jwks-rsa.mjs' },
  { id: 'joseRemote', label: 'jose remote JWKS', entry: 'bench/baselines/jose-remote-jwks.mjs' },
];
/**
 * References on the same tokens, warm only: the signature check alone, with a key made once; and ours
 * without its decision log, which tells what the log line costs per decision.
 */
const RAWS = [
  { id: 'rawNode', label: 'raw crypto.verify', mode: 'raw-node' },
  { id: 'rawSubtle', label: 'raw crypto.subtle.verify', mode: 'raw-subtle' },
  { id: 'oursNoLog', label: 'ours, log off', mode: 'warm', entry: 'bench/baselines/ours-no-log.mjs' },
];
const RAW_IDS = RAWS.map(({ id }) => id);
const modeOf = (variant) => RAWS.find(({ id }) => id === variant)?.mode ?? 'warm';

/** Flags of the allocation runs: a 64 MiB young generation, so 1000 decisions need no collection. */
const ALLOCATION_FLAGS = ['--expose-gc', '--min-semi-space-size=64', '--max-semi-space-size=64'];

const USAGE = `usage: node bench/run.mjs [options]
  --bundle <path>       authorizer bundle to measure as ours (default: assets/authorizer/index.js)
  --cold-runs <n>       fresh processes per implementation (default: 20)
  --warm-tokens <n>     distinct tokens timed per warm round (default: 5000)
  --warmup <n>          decisions before the timed ones, while V8 optimises (default: 2000)
  --warm-rounds <n>     warm rounds per implementation (default: 5)
  --transport <t>       https (a self-signed certificate, needs openssl) or http (default: https)
  --out <path>          results file (default: bench/.results/latest.json)
  --quick               5 cold runs, 1000 tokens after 200, 1 round: a smoke run, not a measurement
  --help`;

/**
 * Parses the command line; exits with status 2 on anything unexpected.
 * @returns {{ bundle: string, defaultBundle: boolean, coldRuns: number, warmTokens: number, warmup: number,
 *   warmRounds: number, transport: 'https' | 'http', out: string }}
 */
function readOptions() {
  let parsed;
  try {
    parsed = parseArgs({
      options: {
        bundle: { type: 'string' },
        'cold-runs': { type: 'string' },
        'warm-tokens': { type: 'string' },
        warmup: { type: 'string' },
        'warm-rounds': { type: 'string' },
        transport: { type: 'string' },
        out: { type: 'string' },
        quick: { type: 'boolean' },
        help: { type: 'boolean' },
      },
    }).values;
  } catch (error) {
    usageError(error.message);
  }
  if (parsed.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const count = (name, fallback, min) => {
    const raw = parsed[name];
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min) usageError(`--${name} must be an integer ≥ ${min} (received: ${raw})`);
    return value;
  };
  const quick = parsed.quick === true;
  const transport = parsed.transport ?? 'https';
  if (transport !== 'https' && transport !== 'http') usageError(`--transport must be https or http (received: ${transport})`);
  return {
    bundle: resolve(parsed.bundle ?? join(root, 'assets', 'authorizer', 'index.js')),
    defaultBundle: parsed.bundle === undefined,
    coldRuns: count('cold-runs', quick ? 5 : 20, 1),
    warmTokens: count('warm-tokens', quick ? 1000 : 5000, 100),
    warmup: count('warmup', quick ? 200 : 2000, 0),
    warmRounds: count('warm-rounds', quick ? 1 : 5, 1),
    transport,
    out: resolve(parsed.out ?? join(benchDir, '.results', 'latest.json')),
  };
}

function usageError(message) {
  process.stderr.write(`bench: ${message}\n${USAGE}\n`);
  process.exit(2);
}

/** A failure the bench explains itself: reported by its message, without a stack trace. */
class BenchFailure extends Error {}

function progress(message) {
  process.stderr.write(`bench: ${message}\n`);
}

/** Epoch milliseconds, to the microsecond; the children report on the same clock. */
const epochNow = () => performance.timeOrigin + performance.now();

/**
 * Runs one child process to completion and returns its result file, or throws with its stderr.
 * @param {{ mode: string, fixture: string, bundle?: string, env: Record<string, string>, stdoutFd: number,
 *   pin: boolean, resultPath: string, nodeFlags?: string[] }} run
 * @returns {Promise<{ spawnedAt: number, result: any }>}
 */
async function runChild({ mode, fixture, bundle, env, stdoutFd, pin, resultPath, nodeFlags = [] }) {
  const args = [...nodeFlags, childScript, mode, fixture, resultPath, ...(bundle ? [bundle] : [])];
  const [command, argv] = pin ? ['taskset', ['-c', '0', process.execPath, ...args]] : [process.execPath, args];
  rmSync(resultPath, { force: true });
  const spawnedAt = epochNow();
  const child = spawn(command, argv, { env, stdio: ['ignore', stdoutFd, 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const code = await new Promise((resolvePromise, reject) => {
    child.once('error', reject);
    child.once('close', resolvePromise);
  });
  if (code !== 0 || !existsSync(resultPath)) {
    throw new BenchFailure(`${mode} run of ${bundle ?? 'reference'} exited with ${code}:\n${stderr.trim()}`);
  }
  return { spawnedAt, result: JSON.parse(readFileSync(resultPath, 'utf8')) };
}

/** The same list, started at a different element each round, so no implementation always runs first. */
function rotate(list, by) {
  const shift = by % list.length;
  return [...list.slice(shift), ...list.slice(0, shift)];
}

/**
 * Cold starts: every round spawns one empty process and one process per implementation, in rotated
 * order; an implementation's net cold start in a round is its time minus the empty process's time in
 * that same round, which cancels drift in machine load. The first round only warms the disk cache.
 */
async function measureColdStarts({ options, bundles, env, logFds, work, server }) {
  const variants = ['empty', ...IMPLEMENTATIONS.map(({ id }) => id)];
  const rounds = [];
  const fetchesPerStart = Object.fromEntries(IMPLEMENTATIONS.map(({ id }) => [id, []]));
  for (let round = 0; round <= options.coldRuns; round += 1) {
    progress(round === 0 ? 'cold starts: warming the disk cache' : `cold starts: round ${round}/${options.coldRuns}`);
    const measured = {};
    for (const variant of rotate(variants, round)) {
      const fetchesBefore = server.fetches();
      const lastFetchBefore = server.lastFetch();
      const { spawnedAt, result } = await runChild({
        mode: variant === 'empty' ? 'empty' : 'cold',
        fixture: join(work, 'cold.json'),
        bundle: variant === 'empty' ? undefined : bundles[variant],
        env,
        stdoutFd: logFds[variant],
        pin: false,
        resultPath: join(work, `result-${variant}.json`),
      });
      if (variant !== 'empty') {
        if (!result.allowed) throw new BenchFailure(`${variant}: a cold-start decision did not allow the call (see ${join(work, `${variant}.log`)})`);
        fetchesPerStart[variant].push(server.fetches() - fetchesBefore);
      }
      const keyFetch = server.lastFetch();
      const fetched = variant !== 'empty' && keyFetch !== lastFetchBefore;
      measured[variant] = {
        ...result,
        totalMs: result.readyAt - spawnedAt,
        processStartMs: result.startedAt - spawnedAt,
        // The first decision seen from the key server: up to the key request (configuration, token
        // parsing, loading the HTTP client, connecting, TLS), the server's answer, and from the answer
        // to the decision (reading and parsing the key set, key import, first verification, policy, log).
        untilKeyRequestMs: fetched ? keyFetch.receivedAt - result.requireEndAt : Number.NaN,
        keyServerMs: fetched ? keyFetch.sentAt - keyFetch.receivedAt : Number.NaN,
        afterKeyResponseMs: fetched ? result.readyAt - keyFetch.sentAt : Number.NaN,
      };
    }
    if (round > 0) rounds.push(measured);
  }
  const cold = {};
  const of = (id, read) => {
    const values = rounds.map((round) => read(round[id], round)).filter((value) => !Number.isNaN(value));
    return values.length > 0 ? summary(values) : { median: Number.NaN, p25: Number.NaN, p75: Number.NaN, n: 0 };
  };
  for (const { id } of IMPLEMENTATIONS) {
    cold[id] = {
      netMs: of(id, (run, round) => run.totalMs - round.empty.totalMs),
      totalMs: of(id, (run) => run.totalMs),
      processStartMs: of(id, (run) => run.processStartMs),
      requireMs: of(id, (run) => run.requireMs),
      firstDecisionMs: of(id, (run) => run.firstDecisionMs),
      untilKeyRequestMs: of(id, (run) => run.untilKeyRequestMs),
      keyServerMs: of(id, (run) => run.keyServerMs),
      afterKeyResponseMs: of(id, (run) => run.afterKeyResponseMs),
      secondDecisionMs: of(id, (run) => run.secondDecisionMs),
      rss: of(id, (run) => run.rss),
      // Paired within each round: the goal is ours ≤ aws-jwt-verify + 1 MiB.
      rssMinusAwsJwtVerify: of(id, (run, round) => run.rss - round.awsJwtVerify.rss),
      keyFetches: median(fetchesPerStart[id]),
    };
  }
  const empty = {
    totalMs: of('empty', (run) => run.totalMs),
    processStartMs: of('empty', (run) => run.processStartMs),
    rss: median(rounds.map((round) => round.empty.rss)),
  };
  return { cold, empty };
}

/**
 * Warm decisions: one process per implementation and round, pinned to one CPU, timing each decision
 * on distinct tokens; the rate of ours ÷ each other column is taken within a round, then the median.
 */
async function measureWarm({ options, bundles, env, logFds, work, pin }) {
  const variants = [...RAW_IDS, ...IMPLEMENTATIONS.map(({ id }) => id)];
  const rounds = [];
  for (let round = 0; round < options.warmRounds; round += 1) {
    progress(`warm decisions: round ${round + 1}/${options.warmRounds}`);
    const measured = {};
    for (const variant of rotate(variants, round)) {
      const { result } = await runChild({
        mode: modeOf(variant),
        fixture: join(work, 'warm.json'),
        bundle: bundles[variant],
        env,
        stdoutFd: logFds[variant],
        pin,
        resultPath: join(work, `result-${variant}.json`),
      });
      if (result.denied > 0) throw new BenchFailure(`${variant}: ${result.denied} valid tokens were not allowed in the warm run`);
      const p50Ms = quantile(result.samples, 0.5);
      const p99Ms = quantile(result.samples, 0.99);
      measured[variant] = {
        rate: result.samples.length / (result.loopMs / 1000),
        p50Ms,
        p99Ms,
        tailRatio: p99Ms / p50Ms,
        warmupP99Ms: result.warmupSamples.length > 0 ? quantile(result.warmupSamples, 0.99) : Number.NaN,
        rss: result.rss,
      };
    }
    rounds.push(measured);
  }
  const warm = {};
  for (const variant of variants) {
    const of = (key) => median(rounds.map((round) => round[variant][key]));
    warm[variant] = {
      rate: of('rate'),
      p50Ms: of('p50Ms'),
      p99Ms: of('p99Ms'),
      tailRatio: of('tailRatio'),
      warmupP99Ms: of('warmupP99Ms'),
      rss: of('rss'),
      // ours ÷ this column, paired within each round (1 for ours itself).
      oursRateRatio: median(rounds.map((round) => round.ours.rate / round[variant].rate)),
    };
  }
  return warm;
}

/**
 * Bytes allocated per warm decision, from one child per implementation whose young generation is
 * large enough that 1000 decisions need no collection (NaN when a collection happened anyway). Two
 * checks of the method run the same loop: an empty decision (the loop's own cost, subtracted from every
 * figure) and a decision that allocates a known 1024 bytes.
 */
async function measureAllocation({ bundles, env, logFds, work }) {
  progress('allocation per decision');
  const measured = {};
  const checks = ['alloc-check-0', 'alloc-check-1k'];
  for (const variant of [...checks, ...RAW_IDS, ...IMPLEMENTATIONS.map(({ id }) => id)]) {
    const { result } = await runChild({
      mode: checks.includes(variant) ? variant : `${modeOf(variant)}-alloc`,
      fixture: join(work, 'warm.json'),
      bundle: bundles[variant],
      env,
      stdoutFd: logFds[variant] ?? logFds.empty,
      pin: false,
      resultPath: join(work, `result-${variant}.json`),
      nodeFlags: ALLOCATION_FLAGS,
    });
    if (result.denied > 0) throw new BenchFailure(`${variant}: ${result.denied} valid tokens were not allowed in the allocation run`);
    measured[variant] = {
      heap: result.collections === 0 ? result.bytesPerDecision : Number.NaN,
      offHeap: result.collections === 0 ? result.offHeapBytesPerDecision : Number.NaN,
    };
  }
  const loopBytes = measured['alloc-check-0'].heap;
  const allocation = {};
  for (const variant of [...RAW_IDS, ...IMPLEMENTATIONS.map(({ id }) => id)]) {
    allocation[variant] = { bytesPerDecision: measured[variant].heap - loopBytes, offHeapBytesPerDecision: measured[variant].offHeap };
  }
  const check = { loopBytes, knownBytes: 1024, measuredKnownBytes: measured['alloc-check-1k'].heap - loopBytes };
  return { allocation, check };
}

/**
 * The cache model table, from `bench/cache-model.mjs` when it is there: it exports
 * `cacheModelReport(): Promise<string>`, the rendered table. Undefined without that file; a failure in
 * it fails the run like any other measurement.
 * @returns {Promise<string | undefined>}
 */
async function cacheModel() {
  if (!existsSync(join(benchDir, 'cache-model.mjs'))) return undefined;
  progress('cache model');
  const { cacheModelReport } = await import('./cache-model.mjs');
  if (typeof cacheModelReport !== 'function') throw new BenchFailure('bench/cache-model.mjs does not export cacheModelReport()');
  const table = await cacheModelReport();
  if (typeof table !== 'string') throw new BenchFailure('cacheModelReport() did not return the table as a string');
  return table;
}

async function main() {
  const options = readOptions();
  const notes = [];
  if (!existsSync(options.bundle)) {
    throw new BenchFailure(
      `no authorizer bundle at ${relative(root, options.bundle)}: run \`node scripts/bundle.mjs\` first (npm run bench does)`,
    );
  }
  const loadBefore = loadavg();
  const work = mkdtempSync(join(tmpdir(), 'cdk-secure-api-bench-'));
  let server;
  let finished = false;
  const logFds = {};
  try {
    progress(`bundling into ${work}`);
    const bundles = { ours: isolateBundle(options.bundle, join(work, 'ours')) };
    const ours = {};
    if (options.defaultBundle) {
      // Rebuilding ours gives the metafile (what the bytes are made of) and checks that the build is
      // deterministic, which keeps consumers' asset hashes and snapshots stable.
      const { bundleAuthorizer } = await import('../scripts/bundle.mjs');
      const rebuildDir = join(work, 'ours-rebuild');
      const metafile = await bundleAuthorizer(rebuildDir);
      ours.largestInputs = largestInputs(metafile, 6);
      ours.deterministic = readFileSync(join(rebuildDir, 'index.js')).equals(readFileSync(options.bundle));
      if (!ours.deterministic) notes.push('a fresh build of the authorizer differs from assets/authorizer/index.js: the bundle is stale or not deterministic');
    }
    for (const { id, entry } of [...IMPLEMENTATIONS, ...RAWS].filter((implementation) => implementation.entry)) {
      bundles[id] = (await bundleBaseline(root, entry, join(work, id))).path;
    }

    const pin = spawnSync('taskset', ['-c', '0', 'true']).status === 0;
    if (!pin) notes.push('taskset is not available: warm runs were not pinned to one CPU');
    let tls;
    if (options.transport === 'https') {
      tls = createLoopbackCertificate(work);
      if (!tls) notes.push('openssl is not available: keys were fetched over plain http, without a TLS handshake');
    }
    const keys = await createSigningKeys();
    server = await startJwksServer(keys.jwks, tls);
    const tokenCount = 2 + options.warmup + options.warmTokens;
    progress(`signing ${tokenCount} tokens`);
    const tokens = await signAccessTokens(keys, tokenCount, Math.floor(Date.now() / 1000));
    writeFileSync(join(work, 'cold.json'), JSON.stringify({ methodArn: METHOD_ARN, token: tokens[0], secondToken: tokens[1] }));
    writeFileSync(
      join(work, 'warm.json'),
      JSON.stringify({ methodArn: METHOD_ARN, tokens: tokens.slice(2), warmup: options.warmup, publicJwk: keys.publicJwk }),
    );

    // A clean environment: nothing from npm or the shell (NODE_OPTIONS, npm_*) may change how a child starts.
    const env = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      TZ: 'UTC',
      AWS_REGION: 'eu-west-1',
      ...(tls ? { NODE_EXTRA_CA_CERTS: tls.certPath } : {}),
      ...authorizerEnvironment(server.jwksUri),
    };
    for (const id of ['empty', ...RAW_IDS, ...IMPLEMENTATIONS.map((implementation) => implementation.id)]) {
      logFds[id] = openSync(join(work, `${id}.log`), 'a');
    }

    const { cold, empty } = await measureColdStarts({ options, bundles, env, logFds, work, server });
    const warm = await measureWarm({ options, bundles, env, logFds, work, pin });
    const { allocation, check: allocationCheck } = await measureAllocation({ bundles, env, logFds, work });
    for (const [id, figures] of Object.entries(allocation)) {
      Object.assign(warm[id], figures);
      if (Number.isNaN(figures.bytesPerDecision)) notes.push(`the allocation run of ${id} was collected mid-way: no allocation figure`);
    }
    if (!(Math.abs(allocationCheck.measuredKnownBytes - allocationCheck.knownBytes) <= allocationCheck.knownBytes * 0.1)) {
      notes.push(
        `the allocation method read ${allocationCheck.measuredKnownBytes.toFixed(0)} bytes for a decision allocating ${allocationCheck.knownBytes}: allocation figures are off`,
      );
    }

    const implementations = Object.fromEntries(RAW_IDS.map((id) => [id, { warm: warm[id] }]));
    for (const { id } of IMPLEMENTATIONS) {
      implementations[id] = { bundle: bundleSize(bundles[id]), cold: cold[id], warm: warm[id] };
    }
    for (const { id } of IMPLEMENTATIONS) {
      implementations[id].cold.vsAwsJwtVerify = cold[id].netMs.median / cold.awsJwtVerify.netMs.median;
    }
    for (const { id, label } of IMPLEMENTATIONS) {
      if (cold[id].keyFetches !== 1) notes.push(`${label} fetched the key set ${cold[id].keyFetches} times per cold start (expected once)`);
    }
    const cpuList = cpus();
    const load = { before: loadBefore, after: loadavg() };
    // Only the load before the run says something about other work: the bench itself adds about 1.
    if (load.before[0] > cpuList.length / 4) {
      notes.push(`other work was running (1-minute load average ${load.before[0].toFixed(2)} on ${cpuList.length} CPUs before the run): expect noisy figures`);
    }
    const results = {
      schema: 2,
      date: new Date().toISOString(),
      environment: {
        node: process.version,
        platform: process.platform,
        arch: process.arch,
        cpus: cpuList.length,
        cpuModel: cpuList[0]?.model.trim() ?? 'unknown',
        pinned: pin,
        loadAverage: load,
        transport: tls ? 'https' : 'http',
        bundle: relative(root, options.bundle),
        coldRuns: options.coldRuns,
        warmTokens: options.warmTokens,
        warmup: options.warmup,
        warmRounds: options.warmRounds,
      },
      empty: { ...empty, netBaseMs: empty.totalMs.median },
      implementations,
      allocationCheck,
      ours,
      cacheModel: await cacheModel(),
      notes,
    };
    results.goals = evaluateGoals(results);
    mkdirSync(dirname(options.out), { recursive: true });
    writeFileSync(options.out, `${JSON.stringify(results, null, 2)}\n`);
    process.stdout.write(renderReport(results, [...IMPLEMENTATIONS, ...RAWS]));
    process.stdout.write(`\nresults written to ${relative(process.cwd(), options.out)}\n`);
    finished = true;
  } finally {
    for (const fd of Object.values(logFds)) closeSync(fd);
    await server?.close();
    // On failure the bundles, fixtures and each implementation's stdout (<id>.log) stay for inspection.
    if (finished) rmSync(work, { recursive: true, force: true });
    else progress(`kept ${work} for inspection`);
  }
}

main().catch((error) => {
  process.stderr.write(`bench: failed: ${error instanceof BenchFailure ? error.message : (error.stack ?? error)}\n`);
  process.exit(1);
});
