// Turns measurements into the verdicts the issue asks for and the table a reader scans.

const KIB = 1024;
const MIB = 1024 * 1024;

/**
 * The goals from the issue, each a pure function of the results. Sizes are read as binary units
 * (10 KB = 10 KiB, 46 MB = 46 MiB); the exact byte counts are in the JSON to judge a near miss.
 */
export const GOALS = [
  {
    id: 'bundle',
    goal: 'bundle ≤ 10 KiB gzip -9',
    measure: (r) => r.implementations.ours.bundle.gzip / KIB,
    format: (value, r) => `${value.toFixed(2)} KiB (${r.implementations.ours.bundle.gzip} bytes)`,
    pass: (value) => value <= 10,
  },
  {
    id: 'coldStart',
    goal: 'cold start ≤ aws-jwt-verify',
    measure: (r) => r.implementations.ours.cold.vsAwsJwtVerify,
    format: (value, r) =>
      `×${value.toFixed(2)} (${r.implementations.ours.cold.netMs.median.toFixed(1)} vs ${r.implementations.awsJwtVerify.cold.netMs.median.toFixed(1)} ms)`,
    pass: (value) => value <= 1,
  },
  {
    id: 'memory',
    goal: 'RSS after 1st decision ≤ 46 MiB',
    measure: (r) => r.implementations.ours.cold.rss.median / MIB,
    format: (value, r) => `${value.toFixed(1)} MiB (empty process: ${(r.empty.rss / MIB).toFixed(1)} MiB)`,
    pass: (value) => value <= 46,
  },
  {
    id: 'warmRate',
    goal: 'warm rate ≥ 0.65 × raw WebCrypto',
    measure: (r) => r.implementations.ours.warm.vsRaw,
    format: (value, r) => `×${value.toFixed(2)} (${Math.round(r.implementations.ours.warm.rate)} vs ${Math.round(r.implementations.raw.warm.rate)} /s)`,
    pass: (value) => value >= 0.65,
  },
  {
    id: 'warmTail',
    goal: 'warm p99 ≤ 2 × p50',
    measure: (r) => r.implementations.ours.warm.tailRatio,
    format: (value, r) =>
      `×${value.toFixed(2)} (${r.implementations.ours.warm.p99Ms.toFixed(3)} / ${r.implementations.ours.warm.p50Ms.toFixed(3)} ms)`,
    pass: (value) => value <= 2,
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

/** One row of the figures table: how to read the figure from one implementation, and its unit. */
const ROWS = [
  { label: 'bundle, gzip -9', read: (i) => i.bundle?.gzip / KIB, unit: 'KiB', digits: 2 },
  { label: 'bundle, minified', read: (i) => i.bundle?.raw / KIB, unit: 'KiB', digits: 1 },
  { label: 'cold start, net', read: (i) => i.cold?.netMs.median, unit: 'ms', digits: 1 },
  { label: '  load (require)', read: (i) => i.cold?.requireMs.median, unit: 'ms', digits: 1 },
  { label: '  first decision', read: (i) => i.cold?.firstDecisionMs.median, unit: 'ms', digits: 1 },
  { label: '  then a 2nd decision', read: (i) => i.cold?.secondDecisionMs.median, unit: 'ms', digits: 2 },
  { label: '  key fetches', read: (i) => i.cold?.keyFetches, unit: '', digits: 0, noRatio: true },
  { label: 'RSS after 1st decision', read: (i) => i.cold?.rss.median / MIB, unit: 'MiB', digits: 1 },
  { label: 'warm decisions/s', read: (i) => i.warm?.rate, unit: '/s', digits: 0 },
  { label: 'warm p50', read: (i) => i.warm?.p50Ms, unit: 'ms', digits: 3 },
  { label: 'warm p99', read: (i) => i.warm?.p99Ms, unit: 'ms', digits: 3 },
  { label: 'warm p99 / p50', read: (i) => i.warm?.tailRatio, unit: '', digits: 2, noRatio: true },
  { label: 'warm-up p99', read: (i) => i.warm?.warmupP99Ms, unit: 'ms', digits: 3 },
  { label: 'allocated per decision', read: (i) => i.warm?.bytesPerDecision / KIB, unit: 'KiB', digits: 1 },
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
  const lines = [];
  lines.push(
    `cdk-secure-api bench · Node ${env.node} · ${env.platform} ${env.arch} · ${env.cpus} × ${env.cpuModel}`,
    `keys fetched over ${env.transport} from 127.0.0.1 · warm runs ${env.pinned ? 'pinned to CPU 0 (taskset)' : 'NOT pinned (no taskset)'}`,
    `cold: median of ${env.coldRuns} fresh processes per implementation, minus an empty process (${results.empty.netBaseMs.toFixed(1)} ms, ${(results.empty.rss / MIB).toFixed(1)} MiB)`,
    `warm: median of ${env.warmRounds} rounds × ${env.warmTokens} distinct valid tokens, timed after ${env.warmup} warm-up decisions on other tokens`,
    `[×n] = ours ÷ that column`,
    '',
  );
  const widths = [24, ...columns.map((column, index) => Math.max(index === 0 ? 12 : 20, column.label.length + 2))];
  lines.push([pad('figure', widths[0]), ...columns.map((column, index) => pad(column.label, widths[index + 1]))].join('').trimEnd());
  for (const row of ROWS) {
    const ours = row.read(results.implementations.ours);
    const cells = columns.map(({ id }, index) => {
      const value = row.read(results.implementations[id]);
      let text = cell(value, row.unit, row.digits);
      if (index > 0 && !row.noRatio && value > 0 && ours !== undefined && !Number.isNaN(ours)) {
        text += `  [×${(ours / value).toFixed(2)}]`;
      }
      return pad(text, widths[index + 1]);
    });
    lines.push([pad(row.label, widths[0]), ...cells].join('').trimEnd());
  }
  lines.push('', `${pad('goal', 36)}status  measured`);
  for (const verdict of results.goals) {
    lines.push(`${pad(verdict.goal, 36)}${pad(verdict.pass ? 'PASS' : 'MISS', 8)}${verdict.display}`);
  }
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
