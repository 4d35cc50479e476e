// Turns measurements into the verdicts the issue asks for and the table a reader scans.

const KIB = 1024;
const MIB = 1024 * 1024;

/** The bundle goal, in bytes: 10 KB read as 10 KiB. */
const BUNDLE_LIMIT = 10 * KIB;

const oursOf = (r) => r.implementations.ours;
const awsOf = (r) => r.implementations.awsJwtVerify;

/**
 * The goals from the issue, each a pure function of the results, all but the bundle's against
 * aws-jwt-verify in the same run. Sizes are read as binary units (10 KB = 10 KiB = 10,240 bytes,
 * 1 MB = 1 MiB); the exact byte counts are in the JSON to judge a near miss.
 */
export const GOALS = [
  {
    id: 'bundle',
    goal: 'bundle ≤ 10 KiB gzip -9',
    measure: (r) => oursOf(r).bundle.gzip,
    format: (value, r) =>
      `${(value / KIB).toFixed(2)} KiB = ${value} bytes, limit ${BUNDLE_LIMIT} (×${(value / awsOf(r).bundle.gzip).toFixed(2)} of aws-jwt-verify's)`,
    pass: (value) => value <= BUNDLE_LIMIT,
  },
  {
    id: 'coldStart',
    goal: 'cold start ≤ aws-jwt-verify',
    measure: (r) => oursOf(r).cold.vsAwsJwtVerify,
    format: (value, r) => `×${value.toFixed(2)} (${oursOf(r).cold.netMs.median.toFixed(1)} vs ${awsOf(r).cold.netMs.median.toFixed(1)} ms net)`,
    pass: (value) => value <= 1,
  },
  {
    id: 'warmRate',
    goal: 'warm rate ≥ aws-jwt-verify (with log)',
    measure: (r) => awsOf(r).warm.oursRateRatio,
    format: (value, r) => `×${value.toFixed(2)} (${Math.round(oursOf(r).warm.rate)} vs ${Math.round(awsOf(r).warm.rate)} /s)`,
    pass: (value) => value >= 1,
  },
  {
    id: 'warmTail',
    goal: 'warm p99/p50 ≤ aws-jwt-verify',
    measure: (r) => oursOf(r).warm.tailRatio / awsOf(r).warm.tailRatio,
    format: (value, r) => `×${value.toFixed(2)} (${oursOf(r).warm.tailRatio.toFixed(2)} vs ${awsOf(r).warm.tailRatio.toFixed(2)})`,
    pass: (value) => value <= 1,
  },
  {
    id: 'allocation',
    goal: 'allocated/decision ≤ aws-jwt-verify',
    measure: (r) => oursOf(r).warm.bytesPerDecision / awsOf(r).warm.bytesPerDecision,
    format: (value, r) =>
      `×${value.toFixed(2)} (${(oursOf(r).warm.bytesPerDecision / KIB).toFixed(1)} vs ${(awsOf(r).warm.bytesPerDecision / KIB).toFixed(1)} KiB)`,
    pass: (value) => value <= 1,
  },
  {
    id: 'memory',
    goal: 'RSS ≤ aws-jwt-verify + 1 MiB',
    measure: (r) => oursOf(r).cold.rssMinusAwsJwtVerify.median / MIB,
    format: (value, r) =>
      `${value >= 0 ? '+' : ''}${value.toFixed(2)} MiB, ×${(oursOf(r).cold.rss.median / awsOf(r).cold.rss.median).toFixed(3)} (${(oursOf(r).cold.rss.median / MIB).toFixed(1)} vs ${(awsOf(r).cold.rss.median / MIB).toFixed(1)} MiB after the 1st decision)`,
    pass: (value) => value <= 1,
  },
  {
    id: 'cacheModel',
    goal: 'cache model table',
    measure: (r) => (typeof r.cacheModel === 'string' ? 1 : 0),
    format: (value) => (value === 1 ? 'printed below' : 'missing: no bench/cache-model.mjs'),
    pass: (value) => value === 1,
  },
];

/**
 * Evaluates every goal.
 * @param {object} results
 * @returns {{ id: string, goal: string, value: number, display: string, pass: boolean }[]}
 */
export function evaluateGoals(results) {
  return GOALS.map(({ id, goal, measure, format, pass }) => {
    const value = measure(results);
    return { id, goal, value, display: format(value, results), pass: pass(value) };
  });
}

/**
 * One row of the figures table: how to read the figure from one implementation, and its unit.
 * `ratio`, when given, reads the paired ratio ours ÷ that column instead of dividing the medians.
 */
const ROWS = [
  { label: 'bundle, gzip -9', read: (i) => i.bundle?.gzip / KIB, unit: 'KiB', digits: 2 },
  { label: 'bundle, minified', read: (i) => i.bundle?.raw / KIB, unit: 'KiB', digits: 1 },
  { label: 'cold start, net', read: (i) => i.cold?.netMs.median, unit: 'ms', digits: 1 },
  { label: '  total, spawn→answer', read: (i) => i.cold?.totalMs.median, unit: 'ms', digits: 1 },
  { label: '  empty process', read: (i, r) => (i.cold ? r.empty.totalMs.median : undefined), unit: 'ms', digits: 1, noRatio: true },
  { label: '  process start', read: (i) => i.cold?.processStartMs.median, unit: 'ms', digits: 1 },
  { label: '  load (require)', read: (i) => i.cold?.requireMs.median, unit: 'ms', digits: 1 },
  { label: '  first decision', read: (i) => i.cold?.firstDecisionMs.median, unit: 'ms', digits: 1 },
  { label: '    to key request', read: (i) => i.cold?.untilKeyRequestMs.median, unit: 'ms', digits: 1 },
  { label: '    key server', read: (i) => i.cold?.keyServerMs.median, unit: 'ms', digits: 2 },
  { label: '    after key answer', read: (i) => i.cold?.afterKeyResponseMs.median, unit: 'ms', digits: 1 },
  { label: '  then a 2nd decision', read: (i) => i.cold?.secondDecisionMs.median, unit: 'ms', digits: 2 },
  { label: '  key fetches', read: (i) => i.cold?.keyFetches, unit: '', digits: 0, noRatio: true },
  { label: 'RSS after 1st decision', read: (i) => i.cold?.rss.median / MIB, unit: 'MiB', digits: 1 },
  { label: 'warm decisions/s', read: (i) => i.warm?.rate, ratio: (i) => i.warm?.oursRateRatio, unit: '/s', digits: 0 },
  { label: 'warm p50', read: (i) => i.warm?.p50Ms, unit: 'ms', digits: 3 },
  { label: 'warm p99', read: (i) => i.warm?.p99Ms, unit: 'ms', digits: 3 },
  { label: 'warm p99 / p50', read: (i) => i.warm?.tailRatio, unit: '', digits: 2 },
  { label: 'warm-up p99', read: (i) => i.warm?.warmupP99Ms, unit: 'ms', digits: 3 },
  { label: 'allocated per decision', read: (i) => i.warm?.bytesPerDecision / KIB, unit: 'KiB', digits: 2 },
  { label: '  off-heap (Buffers)', read: (i) => i.warm?.offHeapBytesPerDecision / KIB, unit: 'KiB', digits: 2 },
  { label: 'RSS after warm run', read: (i) => i.warm?.rss / MIB, unit: 'MiB', digits: 1 },
];

function pad(text, width) {
  return text.length >= width ? text : text + ' '.repeat(width - text.length);
}

function cell(value, unit, digits) {
  if (value === undefined || Number.isNaN(value)) return '–';
  return `${value.toFixed(digits)}${unit && unit !== '/s' ? ` ${unit}` : ''}`;
}

/**
 * Renders the report: a header naming the conditions, the figures of every implementation with the
 * ratio ours ÷ that implementation, then the goals with PASS or MISS.
 * @param {object} results
 * @param {{ id: string, label: string }[]} columns implementations, ours first
 * @returns {string}
 */
export function renderReport(results, columns) {
  const env = results.environment;
  const loads = (values) => values.map((value) => value.toFixed(2)).join(' ');
  const lines = [];
  lines.push(
    `cdk-secure-api bench · Node ${env.node} · ${env.platform} ${env.arch} · ${env.cpus} cores × ${env.cpuModel}`,
    `load average (1, 5, 15 min): ${loads(env.loadAverage.before)} before the run, ${loads(env.loadAverage.after)} after`,
    `keys fetched over ${env.transport} from 127.0.0.1 · warm runs ${env.pinned ? 'pinned to CPU 0 (taskset)' : 'NOT pinned (no taskset)'}`,
    `cold: median of ${env.coldRuns} fresh processes per implementation, minus an empty process (${results.empty.netBaseMs.toFixed(1)} ms, ${(results.empty.rss / MIB).toFixed(1)} MiB)`,
    `warm: median of ${env.warmRounds} rounds × ${env.warmTokens} distinct valid tokens, timed after ${env.warmup} warm-up decisions on other tokens`,
    `allocation: young-generation growth over 1000 decisions, minus the bench loop's ${results.allocationCheck.loopBytes.toFixed(0)} B; ` +
      `check: a decision allocating ${results.allocationCheck.knownBytes} B reads ${results.allocationCheck.measuredKnownBytes.toFixed(0)} B`,
    `[×n] = ours ÷ that column (decisions/s: paired within each round)`,
    '',
  );
  const widths = [24, ...columns.map((column, index) => Math.max(index === 0 ? 12 : 20, column.label.length + 2))];
  lines.push([pad('figure', widths[0]), ...columns.map((column, index) => pad(column.label, widths[index + 1]))].join('').trimEnd());
  for (const row of ROWS) {
    const ours = row.read(results.implementations.ours, results);
    const cells = columns.map(({ id }, index) => {
      const implementation = results.implementations[id];
      const value = row.read(implementation, results);
      let text = cell(value, row.unit, row.digits);
      const ratio = row.ratio ? row.ratio(implementation) : ours / value;
      if (index > 0 && !row.noRatio && value > 0 && ratio !== undefined && Number.isFinite(ratio)) {
        text += `  [×${ratio.toFixed(2)}]`;
      }
      return pad(text, widths[index + 1]);
    });
    lines.push([pad(row.label, widths[0]), ...cells].join('').trimEnd());
  }
  lines.push('', `${pad('goal', 40)}status  measured`);
  for (const verdict of results.goals) {
    lines.push(`${pad(verdict.goal, 40)}${pad(verdict.pass ? 'PASS' : 'MISS', 8)}${verdict.display}`);
  }
  if (results.cacheModel !== undefined) lines.push('', 'cache model', results.cacheModel.trimEnd());
  if (results.ours.largestInputs) {
    lines.push(
      '',
      `largest parts of our bundle (minified bytes): ${results.ours.largestInputs
        .map(({ input, bytes }) => `${input} ${bytes}`)
        .join(', ')}`,
    );
  }
  for (const note of results.notes) lines.push(`note: ${note}`);
  return `${lines.join('\n')}\n`;
}
