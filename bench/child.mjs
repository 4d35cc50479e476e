// One measured process. bench/run.mjs spawns it fresh for every sample, so nothing is warm that a
// Lambda cold start would not have warm either.
//
//   node child.mjs empty  <fixture.json> <result.json>           reference: a process that does nothing
//   node child.mjs cold   <fixture.json> <result.json> <bundle>  load the bundle, answer a first request (then a second)
//   node child.mjs warm   <fixture.json> <result.json> <bundle>  answer many requests, time each
//   node child.mjs raw-node|raw-subtle <fixture.json> <result.json>
//                                  crypto.verify (node:crypto) or crypto.subtle.verify on the same tokens
//   node --expose-gc child.mjs warm-alloc|raw-node-alloc|raw-subtle-alloc ...  bytes allocated per warm decision
//   node --expose-gc child.mjs alloc-check-0|alloc-check-1k ...  the allocation method on known allocations
//
// Every mode reads its fixture and writes its result the same way, so subtracting `empty` from `cold`
// leaves only what the bundle costs. Times are epoch milliseconds with sub-millisecond resolution
// (performance.timeOrigin + performance.now()), comparable with the parent's clock. Modules that only
// some modes need (node:crypto, node:v8) are imported where they are used: a cold child must not have
// loaded anything an implementation would otherwise pay for.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { PerformanceObserver } from 'node:perf_hooks';

/** When this script started to run: the end of Node's own start-up, as far as it can be seen from here. */
const startedAt = performance.timeOrigin + performance.now();
const [mode, fixturePath, resultPath, bundlePath] = process.argv.slice(2);
const fixture = JSON.parse(readFileSync(fixturePath, 'utf8'));

/**
 * A Lambda context object as the Node.js runtime passes it.
 * @param {number} index request number, for a distinct request id
 */
function lambdaContext(index) {
  return {
    awsRequestId: `00000000-0000-4000-8000-${String(index).padStart(12, '0')}`,
    functionName: 'bench-authorizer',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:bench-authorizer',
    memoryLimitInMB: '256',
    logGroupName: '/aws/lambda/bench-authorizer',
    logStreamName: '2025/01/01/[$LATEST]bench',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => 3000,
  };
}

/**
 * An API Gateway TOKEN authorizer event.
 * @param {string} token
 */
function tokenEvent(token) {
  return { type: 'TOKEN', authorizationToken: `Bearer ${token}`, methodArn: fixture.methodArn };
}

/**
 * IAM resource matching: `*` is any run of characters (including `/`), `?` is one character. Written
 * to allocate nothing, since it runs between timed decisions and its garbage would be collected
 * during the next ones.
 */
function resourceMatches(pattern, arn) {
  let p = 0;
  let a = 0;
  let starP = -1;
  let starA = 0;
  while (a < arn.length) {
    if (p < pattern.length && pattern[p] === '*') {
      starP = p;
      starA = a;
      p += 1;
    } else if (p < pattern.length && (pattern[p] === '?' || pattern[p] === arn[a])) {
      p += 1;
      a += 1;
    } else if (starP >= 0) {
      p = starP + 1;
      starA += 1;
      a = starA;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern[p] === '*') p += 1;
  return p === pattern.length;
}

/** Whether a statement's Resource (a string or a list) covers the ARN. */
function covers(statement, arn) {
  const resource = statement.Resource;
  if (typeof resource === 'string') return resourceMatches(resource, arn);
  if (!Array.isArray(resource)) return false;
  for (const pattern of resource) if (typeof pattern === 'string' && resourceMatches(pattern, arn)) return true;
  return false;
}

/**
 * Whether API Gateway would let the call through with this answer: some Allow statement covers the
 * method ARN and no Deny statement does. A bench of denials would measure the wrong thing.
 */
function allows(result, methodArn) {
  const statements = result?.policyDocument?.Statement;
  if (!Array.isArray(statements)) return false;
  let allowed = false;
  for (const statement of statements) {
    if (!covers(statement, methodArn)) continue;
    if (statement.Effect === 'Deny') return false;
    if (statement.Effect === 'Allow') allowed = true;
  }
  return allowed;
}

/** Modes that answer many decisions in one warm process. */
const WARM_MODES = new Set(['warm', 'raw-node', 'raw-subtle', 'alloc-check-0', 'alloc-check-1k']);

/** Where alloc-check-1k puts what it allocates (one slot, overwritten each call). */
const allocationSink = [undefined];

/** Decisions measured by an allocation run, after the warm-up. */
const ALLOCATION_DECISIONS = 1000;

/** Epoch milliseconds now, to the microsecond. */
const epochNow = () => performance.timeOrigin + performance.now();

function finish(result) {
  writeFileSync(resultPath, JSON.stringify(result));
  // Sockets kept alive by an implementation's HTTP agent must not hold the process open.
  process.exit(0);
}

if (mode === 'empty') {
  const readyAt = epochNow();
  finish({ startedAt, readyAt, rss: process.memoryUsage().rss });
} else if (mode === 'cold') {
  const requireStart = performance.now();
  const handler = handlerFrom(bundlePath);
  const requireEnd = performance.now();
  const answer = await handler(tokenEvent(fixture.token), lambdaContext(0));
  const decisionEnd = performance.now();
  const rss = process.memoryUsage().rss;
  // After the cold start proper: a second token, no key fetch, tells first-use costs from steady work.
  const secondAnswer = await handler(tokenEvent(fixture.secondToken), lambdaContext(1));
  const secondDecisionMs = performance.now() - decisionEnd;
  finish({
    startedAt,
    requireStartAt: performance.timeOrigin + requireStart,
    requireEndAt: performance.timeOrigin + requireEnd,
    readyAt: performance.timeOrigin + decisionEnd,
    rss,
    requireMs: requireEnd - requireStart,
    firstDecisionMs: decisionEnd - requireEnd,
    secondDecisionMs,
    allowed: allows(answer, fixture.methodArn) && allows(secondAnswer, fixture.methodArn),
  });
} else if (WARM_MODES.has(mode.replace(/-alloc$/, ''))) {
  const base = mode.replace(/-alloc$/, '');
  const allocating = mode.endsWith('-alloc') || base.startsWith('alloc-check');
  const viaHandler = base === 'warm';
  const decide = await decider(base);
  const inputs = fixture.tokens.map(viaHandler ? tokenEvent : (token) => token);
  const contexts = inputs.map((_, index) => lambdaContext(index));
  // Checked outside the timed region: the check is the bench's, not the implementation's, work.
  const accepted = viaHandler
    ? (answer) => allows(answer, fixture.methodArn)
    : base.startsWith('alloc-check')
      ? () => true
      : (answer) => answer === true;
  let denied = 0;
  const timeDecisions = async (from, to) => {
    const samples = new Array(to - from);
    for (let index = from; index < to; index += 1) {
      const start = process.hrtime.bigint();
      const answer = await decide(inputs[index], contexts[index]);
      samples[index - from] = Number(process.hrtime.bigint() - start) / 1e6;
      if (!accepted(answer)) denied += 1;
    }
    return samples;
  };
  const warmupSamples = await timeDecisions(0, fixture.warmup);
  if (allocating) {
    // With a young generation large enough (set by the parent) that nothing is collected during the
    // loop, the growth of the young generation over the loop is what the decisions allocated. Only the
    // young generation is read: the optimising compiler, still finishing on a background thread, puts
    // code and metadata in the other spaces, which are not the decisions' garbage. Any collection voids
    // the figure. `arrayBuffers` is the off-heap side (Buffer and ArrayBuffer backing stores), not freed
    // either without a collection. The loop is the warm loop minus its timing, so the bench's own
    // per-iteration cost (an await) is in every figure alike; alloc-check-0 measures it alone.
    let collections = 0;
    const observer = new PerformanceObserver((list) => {
      collections += list.getEntries().length;
    });
    const { getHeapSpaceStatistics } = await import('node:v8');
    const youngGenerationUsed = () => {
      let used = 0;
      for (const space of getHeapSpaceStatistics()) {
        if (space.space_name === 'new_space' || space.space_name === 'new_large_object_space') used += space.space_used_size;
      }
      return used;
    };
    youngGenerationUsed();
    globalThis.gc();
    observer.observe({ entryTypes: ['gc'] });
    const end = Math.min(inputs.length, fixture.warmup + ALLOCATION_DECISIONS);
    const youngBefore = youngGenerationUsed();
    const offHeapBefore = process.memoryUsage().arrayBuffers;
    for (let index = fixture.warmup; index < end; index += 1) {
      if (!accepted(await decide(inputs[index], contexts[index]))) denied += 1;
    }
    const youngAfter = youngGenerationUsed();
    const offHeapAfter = process.memoryUsage().arrayBuffers;
    await new Promise((resolve) => setImmediate(resolve));
    observer.disconnect();
    const count = end - fixture.warmup;
    finish({
      bytesPerDecision: (youngAfter - youngBefore) / count,
      offHeapBytesPerDecision: (offHeapAfter - offHeapBefore) / count,
      decisions: count,
      collections,
      denied,
    });
  }
  const loopStart = process.hrtime.bigint();
  const samples = await timeDecisions(fixture.warmup, inputs.length);
  const loopMs = Number(process.hrtime.bigint() - loopStart) / 1e6;
  finish({ warmupSamples, samples, loopMs, denied, rss: process.memoryUsage().rss });
} else {
  throw new Error(`unknown mode ${mode}`);
}

/**
 * What one warm decision calls, by mode.
 * @param {string} base the mode without `-alloc`
 */
async function decider(base) {
  switch (base) {
    case 'warm':
      return handlerFrom(bundlePath);
    case 'raw-node':
      return rawNodeVerifier();
    case 'raw-subtle':
      return rawSubtleVerifier();
    case 'alloc-check-0':
      return () => true;
    case 'alloc-check-1k':
      // A JSArray (4 words) holding a FixedArray (2 words + 122 elements): 128 words, 1024 bytes
      // on 64-bit V8 without pointer compression (Node's default build).
      // Kept reachable until the next call, so the compiler cannot leave the allocation out.
      return () => {
        allocationSink[0] = new Array(122).fill(0);
        return true;
      };
    default:
      throw new Error(`unknown mode ${base}`);
  }
}

/** The bundle's handler, loaded the way the Lambda runtime loads it. */
function handlerFrom(path) {
  return createRequire(import.meta.url)(path).handler;
}

/**
 * The least any RS256 verifier must do per token with WebCrypto: split it, decode the signature,
 * verify it over the signing input with a key imported once. No claim is parsed: a reference, not a
 * competitor.
 */
async function rawSubtleVerifier() {
  const key = await crypto.subtle.importKey('jwk', fixture.publicJwk, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, [
    'verify',
  ]);
  const encoder = new TextEncoder();
  return (token) => {
    const dot = token.lastIndexOf('.');
    return crypto.subtle.verify(
      'RSASSA-PKCS1-v1_5',
      key,
      Buffer.from(token.slice(dot + 1), 'base64url'),
      encoder.encode(token.slice(0, dot)),
    );
  };
}

/**
 * The same with node:crypto: a KeyObject made once, a synchronous `crypto.verify` per token.
 */
async function rawNodeVerifier() {
  const { createPublicKey, verify: nodeVerify } = await import('node:crypto');
  const key = createPublicKey({ key: fixture.publicJwk, format: 'jwk' });
  return (token) => {
    const dot = token.lastIndexOf('.');
    return nodeVerify('sha256', Buffer.from(token.slice(0, dot)), key, Buffer.from(token.slice(dot + 1), 'base64url'));
  };
}
