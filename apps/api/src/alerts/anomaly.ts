// Seasonal anomaly test: is this hour's value plausible given the same hour of the same weekday in
// past weeks? The baseline is the median of those weeks; the spread is the larger of
//  - the history's own dispersion: sensitivity × 1.4826 × MAD (a robust standard deviation that
//    one past outlier cannot inflate, unlike a mean and standard deviation), and
//  - the noise a value of that size has anyway (counting noise): without it a perfectly regular
//    history (MAD = 0) would flag a change of one request.
// Noise per metric: a count (requests, failed logins) is Poisson, sd = √median; a failure rate is
// binomial over this hour's requests, sd = √(p(1−p)/n); revenue is a sum of payments, sd ≈ √2 ×
// typical payment × √(median payment count) (payments of similar size, coefficient of variation
// ~1). As for counts, the count is taken as at least one: in an hour that usually has no payment,
// one ordinary payment is noise, not an anomaly (without the floor the range was 0–0).

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

function noise(metric: AlertMetric, expected: number, current: Observation, history: readonly Observation[]): number {
  switch (metric) {
    case 'requests':
    case 'failed_logins':
      return Math.sqrt(Math.max(expected, 1));
    case 'failure_rate': {
      const p = Math.min(Math.max(expected / 100, 0.01), 0.99);
      return 100 * Math.sqrt((p * (1 - p)) / Math.max(current.basis, 1));
    }
    case 'revenue': {
      const payments = median(history.map((observation) => observation.basis));
      return Math.SQRT2 * typicalPayment(current, history) * Math.sqrt(Math.max(payments, 1));
    }
  }
}

/**
 * Mean payment over the past weeks; this hour's own when they had none (one payment of its size is
 * then within the noise, a burst of them is not).
 */
function typicalPayment(current: Observation, history: readonly Observation[]): number {
  let revenue = 0;
  let payments = 0;
  for (const observation of history) {
    revenue += Math.max(observation.value, 0);
    payments += Math.max(observation.basis, 0);
  }
  if (payments > 0) return revenue / payments;
  return current.basis > 0 ? Math.max(current.value, 0) / current.basis : 0;
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
  const spread = sensitivity * Math.max(1.4826 * mad(values), noise(metric, expected, current, history));
  const ceiling = metric === 'failure_rate' ? 100 : Number.POSITIVE_INFINITY;
  const expectedLow = Math.max(0, expected - spread);
  const expectedHigh = Math.min(ceiling, expected + spread);
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
