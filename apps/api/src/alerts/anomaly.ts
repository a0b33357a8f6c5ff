// Seasonal anomaly test: is this hour's value plausible given the same hour of the same weekday in
// past weeks? The baseline is the median of those weeks; the expected range is the wider of
//  - the history's own dispersion: median ± sensitivity × 1.4826 × MAD (a robust standard
//    deviation that one past outlier cannot inflate, unlike a mean and standard deviation), and
//  - the noise a value of that size has anyway (counting noise): without it a perfectly regular
//    history (MAD = 0) would flag a change of one request.
// Counting noise per metric. A count (requests, failed logins) is Poisson: its range is taken on
// the square-root scale, where a Poisson count has a standard deviation of ½ whatever its mean
// (Anscombe: √(x + 3/8)), so the range is (√(m + 3/8) ± sensitivity/2)² − 3/8. For large counts
// this is m ± sensitivity × √m; for small ones it is wider above (a Poisson count of mean 1 reaches
// 5 once in 300 hours, a normal curve would say once in 30 000), which is what keeps a quiet
// city's ordinary hours quiet. A failure rate is binomial over this hour's requests, sd =
// √(p(1−p)/n). Revenue is a sum of payments: the count range of its median number of payments
// (at least one), in typical payments, combined with the spread of their sizes (coefficient of
// variation ~1: sd = typical × √payments); so one ordinary payment in an hour that usually has
// none is noise, and a burst of them is not.

import type { AlertMetric } from '../../../../libs/metrics/src/alerts.js';

export interface Observation {
  /** The metric's value (count, XOF, or percent). */
  value: number;
  /** Its basis: requests for a failure rate, payments for revenue; the value itself for counts. */
  basis: number;
}

export interface AnomalyVerdict {
  anomalous: boolean;
  expected: number;
  expectedLow: number;
  expectedHigh: number;
  /** How many past weeks formed the baseline. */
  weeks: number;
}

/** Fewer past weeks than this: no verdict (a baseline of one or two weeks flags every holiday). */
export const MIN_HISTORY_WEEKS = 3;
/** A failure rate over fewer requests than this says nothing. */
export const MIN_RATE_BASIS = 5;

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Median absolute deviation from the median. */
export function mad(values: readonly number[]): number {
  const centre = median(values);
  return median(values.map((value) => Math.abs(value - centre)));
}

/** Range of a Poisson count of mean `mean` at `sensitivity` standard deviations, on the square-root scale. */
export function poissonRange(mean: number, sensitivity: number): { low: number; high: number } {
  const root = Math.sqrt(Math.max(mean, 0) + 0.375);
  const half = sensitivity / 2;
  return { low: root > half ? (root - half) ** 2 - 0.375 : 0, high: (root + half) ** 2 - 0.375 };
}

/** The counting noise's range around `expected`, for this metric. */
function noiseRange(
  metric: AlertMetric,
  expected: number,
  current: Observation,
  history: readonly Observation[],
  sensitivity: number,
): { low: number; high: number } {
  switch (metric) {
    case 'requests':
    case 'failed_logins':
      return poissonRange(expected, sensitivity);
    case 'failure_rate': {
      const p = Math.min(Math.max(expected / 100, 0.01), 0.99);
      const sd = 100 * Math.sqrt((p * (1 - p)) / Math.max(current.basis, 1));
      return { low: expected - sensitivity * sd, high: expected + sensitivity * sd };
    }
    case 'revenue': {
      const payments = Math.max(median(history.map((observation) => observation.basis)), 1);
      const counts = poissonRange(payments, sensitivity);
      const typical = typicalPayment(current, history);
      // The number of payments and their sizes vary independently: widths add in quadrature.
      const sizes = sensitivity * Math.sqrt(payments);
      return {
        low: expected - typical * Math.hypot(payments - counts.low, sizes),
        high: expected + typical * Math.hypot(counts.high - payments, sizes),
      };
    }
  }
}

/**
 * Mean payment over the past weeks and this hour together: under the hypothesis being tested (this
 * hour is like the others) its payments are draws of the same sizes, and an hour's handful of past
 * payments alone says little about their size (two payments of 10 000 XOF made three of 35 000
 * look like an anomaly).
 */
function typicalPayment(current: Observation, history: readonly Observation[]): number {
  let revenue = Math.max(current.value, 0);
  let payments = Math.max(current.basis, 0);
  for (const observation of history) {
    revenue += Math.max(observation.value, 0);
    payments += Math.max(observation.basis, 0);
  }
  return payments > 0 ? revenue / payments : 0;
}

/** Null when there is not enough history (or, for a rate, not enough requests this hour) to judge. */
export function judge(
  metric: AlertMetric,
  current: Observation,
  history: readonly Observation[],
  sensitivity: number,
): AnomalyVerdict | null {
  if (metric === 'failure_rate') {
    if (current.basis < MIN_RATE_BASIS) return null;
    history = history.filter((observation) => observation.basis >= MIN_RATE_BASIS);
  }
  if (history.length < MIN_HISTORY_WEEKS) return null;
  const values = history.map((observation) => observation.value);
  const expected = median(values);
  const dispersion = sensitivity * 1.4826 * mad(values);
  const noise = noiseRange(metric, expected, current, history, sensitivity);
  const ceiling = metric === 'failure_rate' ? 100 : Number.POSITIVE_INFINITY;
  const expectedLow = Math.max(0, Math.min(expected - dispersion, noise.low));
  const expectedHigh = Math.min(ceiling, Math.max(expected + dispersion, noise.high));
  return {
    anomalous: current.value > expectedHigh || current.value < expectedLow,
    expected: round2(expected),
    expectedLow: round2(expectedLow),
    expectedHigh: round2(expectedHigh),
    weeks: history.length,
  };
}

export function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
