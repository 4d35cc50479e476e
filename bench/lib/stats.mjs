// Order statistics for the bench. Medians and percentiles rather than means: a cold start or a decision
// that lands on a busy core is an outlier to report, not to average in.

/**
 * The q-quantile (0..1) of a sample, by linear interpolation between closest ranks.
 * @param {number[]} values
 * @param {number} q
 * @returns {number}
 */
export function quantile(values, q) {
  if (values.length === 0) throw new Error('quantile of an empty sample');
  const sorted = Float64Array.from(values).sort();
  const position = (sorted.length - 1) * q;
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  return sorted[lower] + (sorted[upper] - sorted[lower]) * (position - lower);
}

/**
 * The median of a sample.
 * @param {number[]} values
 * @returns {number}
 */
export function median(values) {
  return quantile(values, 0.5);
}

/**
 * Median with its interquartile range, which shows how far one run can be trusted.
 * @param {number[]} values
 * @returns {{ median: number, p25: number, p75: number, n: number }}
 */
export function summary(values) {
  return { median: median(values), p25: quantile(values, 0.25), p75: quantile(values, 0.75), n: values.length };
}
