// What each rule sees now: one finding per key (the rule itself for a threshold rule; each city or
// specialty for an anomaly rule), with the value and whether it breaches. Keys with no verdict
// (too little history, too few requests for a rate) yield no finding, so their state is kept.
import type { ClickHouse } from '../../../../libs/clickhouse/src/clickhouse.js';
import { ALERT_WINDOW_TEXT, type AlertComparison, type AlertMetric, type AlertRule, type AlertScope, type AlertWindow } from '../../../../libs/metrics/src/alerts.js';
import { frenchNumber } from '../../../../libs/metrics/src/format-fr.js';
import { daysBefore, hoursBefore, periodStart } from '../../../../libs/metrics/src/windows.js';
import { judge, MIN_RATE_BASIS, type Observation } from './anomaly.js';
import { dataStart, measure, type TimeRange } from './queries/alert-metrics.js';

export interface Finding {
  key: string;
  scope: AlertScope;
  value: number;
  breached: boolean;
  expected: number | null;
  expectedLow: number | null;
  expectedHigh: number | null;
  message: string;
}

/** Start of a threshold rule's trailing window: for 24h / 7d / 30d, the statistics' own period start. */
function windowStart(window: AlertWindow, now: Date): Date {
  return window === '1h' ? hoursBefore(now, 1) : periodStart(window, now);
}

// The messages are read by people in the French dashboard (toasts, the alerts page) and in mails.
const METRIC_LABELS: Record<AlertMetric, string> = {
  requests: 'Demandes',
  revenue: 'Revenus (XOF)',
  failure_rate: 'Taux d\'échec (%)',
  failed_logins: 'Connexions échouées',
};
const COMPARISON_SIGNS: Record<AlertComparison, string> = { gt: '>', gte: '≥', lt: '<', lte: '≤' };

export function compare(value: number, comparison: AlertComparison, threshold: number): boolean {
  switch (comparison) {
    case 'gt':
      return value > threshold;
    case 'gte':
      return value >= threshold;
    case 'lt':
      return value < threshold;
    case 'lte':
      return value <= threshold;
  }
}

function describeScope(scope: AlertScope): string {
  const parts = [scope.city === null ? null : `ville ${scope.city === '' ? '(inconnue)' : scope.city}`, scope.specialty === null ? null : `spécialité ${scope.specialty}`];
  const text = parts.filter((part) => part !== null).join(', ');
  return text ? ` [${text}]` : '';
}

export async function thresholdFindings(clickhouse: ClickHouse, rule: AlertRule, now: Date): Promise<Finding[]> {
  const range = { start: windowStart(rule.window, now), end: now };
  const groups = await measure(clickhouse, rule.metric, [range], { groupBy: null, scope: rule.scope });
  const observation = groups.get('')?.[0] ?? { value: 0, basis: 0 };
  // A rate over a handful of requests (1 cancelled of 1 = 100 %) is not a failure rate.
  if (rule.metric === 'failure_rate' && observation.basis < MIN_RATE_BASIS) return [];
  const breached = compare(observation.value, rule.comparison!, rule.threshold!);
  return [
    {
      key: rule.id,
      scope: rule.scope,
      value: observation.value,
      breached,
      expected: null,
      expectedLow: null,
      expectedHigh: null,
      message: `${METRIC_LABELS[rule.metric]} sur ${ALERT_WINDOW_TEXT[rule.window]}${describeScope(rule.scope)} : ${frenchNumber(observation.value)} ${COMPARISON_SIGNS[rule.comparison!]} ${frenchNumber(rule.threshold!)}`,
    },
  ];
}

/** The last hour, and the same hour of each of the past `history_weeks` weeks. */
export function seasonalRanges(now: Date, weeks: number): TimeRange[] {
  const ranges: TimeRange[] = [];
  for (let k = 0; k <= weeks; k++) {
    const end = daysBefore(now, 7 * k);
    ranges.push({ start: hoursBefore(end, 1), end });
  }
  return ranges;
}

export async function anomalyFindings(clickhouse: ClickHouse, rule: AlertRule, now: Date, firstData: Date | null): Promise<Finding[]> {
  if (firstData === null) return [];
  const ranges = seasonalRanges(now, rule.history_weeks!);
  const groups = await measure(clickhouse, rule.metric, ranges, { groupBy: rule.group_by, scope: rule.scope });
  const findings: Finding[] = [];
  for (const [group, slots] of groups) {
    const current: Observation = slots[0] ?? { value: 0, basis: 0 };
    // A past week before the data begins is unknown, not zero; after, an hour without rows is zero.
    const history = ranges
      .slice(1)
      .map((range, index) => (range.start >= firstData ? (slots[index + 1] ?? { value: 0, basis: 0 }) : null))
      .filter((observation): observation is Observation => observation !== null);
    const verdict = judge(rule.metric, current, history, rule.sensitivity!);
    if (verdict === null) continue;
    const scope: AlertScope = {
      city: rule.group_by === 'city' ? group : rule.scope.city,
      specialty: rule.group_by === 'specialty' ? group : rule.scope.specialty,
    };
    findings.push({
      key: `${rule.id}:${group}`,
      scope,
      value: current.value,
      breached: verdict.anomalous,
      expected: verdict.expected,
      expectedLow: verdict.expectedLow,
      expectedHigh: verdict.expectedHigh,
      message:
        `${METRIC_LABELS[rule.metric]} sur la dernière heure${describeScope(scope)} : ${frenchNumber(current.value)}, ` +
        `attendu ${frenchNumber(verdict.expectedLow)} à ${frenchNumber(verdict.expectedHigh)} ` +
        `(médiane ${frenchNumber(verdict.expected)} de la même heure sur ${verdict.weeks} semaines)`,
    });
  }
  return findings;
}

/** Data start per metric table, read at most once per `ttlMs` (it only moves when the oldest rows go). */
export class DataStarts {
  private readonly known = new Map<AlertMetric, { at: Date | null; readAt: number }>();

  constructor(
    private readonly clickhouse: ClickHouse,
    private readonly ttlMs = 10 * 60_000,
  ) {}

  async of(metric: AlertMetric): Promise<Date | null> {
    const entry = this.known.get(metric);
    if (entry && entry.at !== null && Date.now() - entry.readAt < this.ttlMs) return entry.at;
    const at = await dataStart(this.clickhouse, metric);
    this.known.set(metric, { at, readAt: Date.now() });
    return at;
  }
}
