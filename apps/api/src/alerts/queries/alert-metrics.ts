// The four alert metrics over a set of time ranges, optionally per city or specialty, from the
// signed change logs (exact under updates and deletes; ordered by time, so each range is a short
// scan). Definitions, shared with metrics.md where they overlap (docs/alerts.md):
//   requests      |R created in the range|                       (= requests.total for the window)
//   revenue       Σ amount of completed client payments created in the range (= financial.total_revenue)
//   failure_rate  |R created in the range with status cancelled or failed| / |R created| × 100
//   failed_logins |A: event_type = 'login', status = 'failure', timestamp in the range| (= security.failed_logins)
// City and specialty are the request's; a payment reaches them through its request; a failed
// login's city is its geo_city (it has no specialty).
import type { ClickHouse, QueryParams } from '../../../../../libs/clickhouse/src/clickhouse.js';
import { fromClickHouseDateTime, toClickHouseDateTime } from '../../../../../libs/clickhouse/src/clickhouse.js';
import { money, percent } from '../../../../../libs/metrics/src/exact.js';
import type { AlertMetric, AlertScope, AnomalyGroup } from '../../../../../libs/metrics/src/alerts.js';
import { REVENUE } from '../../../../../libs/metrics/src/catalogue/payments.js';
import type { Observation } from '../anomaly.js';

export interface TimeRange {
  start: Date;
  end: Date;
}

/** Statuses that count as a failure (the guide's "taux d'échec"): cancelled, and failed where a client writes it. */
export const FAILED_STATUSES = ['cancelled', 'failed'];

/** Observations per group value ('' when not grouped), one slot per range (index = range index). */
export type MeasuredGroups = Map<string, Array<Observation | undefined>>;

const AT = "DateTime64(6, 'UTC')";

interface MetricSource {
  table: string;
  time: string;
  city: string;
  specialty: string | null;
}

const SOURCES: Record<AlertMetric, MetricSource> = {
  requests: { table: 'depannage_repairrequest_signed', time: 'created_at', city: 'city', specialty: 'specialty_needed' },
  failure_rate: { table: 'depannage_repairrequest_signed', time: 'created_at', city: 'city', specialty: 'specialty_needed' },
  revenue: { table: 'depannage_payment_signed', time: 'created_at', city: 'r.city', specialty: 'r.specialty_needed' },
  failed_logins: { table: 'users_auditlog_signed', time: 'timestamp', city: 'geo_city', specialty: null },
};

export class UnsupportedScopeError extends Error {}

/**
 * One query: every range, every group. Ranges may not overlap (a row is counted in the first
 * range that holds it).
 */
export async function measure(
  clickhouse: ClickHouse,
  metric: AlertMetric,
  ranges: readonly TimeRange[],
  options: { groupBy: AnomalyGroup | null; scope: AlertScope },
): Promise<MeasuredGroups> {
  const source = SOURCES[metric];
  if (source.specialty === null && (options.groupBy === 'specialty' || options.scope.specialty !== null)) {
    throw new UnsupportedScopeError(`${metric} has no specialty`);
  }
  const params: QueryParams = {
    hasCity: options.scope.city === null ? 0 : 1,
    city: options.scope.city ?? '',
    hasSpecialty: options.scope.specialty === null ? 0 : 1,
    specialty: options.scope.specialty ?? '',
    failed: FAILED_STATUSES,
  };
  const inRange: string[] = [];
  const slotCases: string[] = [];
  ranges.forEach((range, index) => {
    params[`s${index}`] = toClickHouseDateTime(range.start);
    params[`e${index}`] = toClickHouseDateTime(range.end);
    const test = `(${source.time} >= {s${index}:${AT}} AND ${source.time} < {e${index}:${AT}})`;
    inRange.push(test);
    slotCases.push(`${test}, ${index}`);
  });
  const rangeFilter = inRange.join(' OR ');
  const slot = `multiIf(${slotCases.join(', ')}, -1)`;
  const group = options.groupBy === null ? "''" : options.groupBy === 'city' ? source.city : source.specialty!;
  const scoped = `({hasCity:UInt8} = 0 OR ${source.city} = {city:String}) AND ({hasSpecialty:UInt8} = 0 OR ${source.specialty ?? "''"} = {specialty:String})`;

  let sql: string;
  if (metric === 'revenue') {
    // The request's city and specialty, read once per request that has a payment in a range.
    const needsRequest = options.groupBy !== null || options.scope.city !== null || options.scope.specialty !== null;
    sql = `
      SELECT ${group} AS grp, p.slot AS slot,
             toString(sum(toDecimal128(p.sign, 0) * p.amount)) AS value, toString(sum(toInt64(p.sign))) AS basis
      FROM (SELECT request_id, amount, sign, ${slot} AS slot FROM ${source.table} WHERE ${REVENUE} AND (${rangeFilter})) AS p
      ${needsRequest
        ? `LEFT JOIN (SELECT id, city, specialty_needed FROM depannage_repairrequest FINAL
             WHERE id IN (SELECT request_id FROM ${source.table} WHERE ${REVENUE} AND (${rangeFilter}))) AS r ON r.id = p.request_id`
        : 'CROSS JOIN (SELECT \'\' AS city, \'\' AS specialty_needed) AS r'}
      WHERE p.slot >= 0 AND ${scoped}
      GROUP BY grp, slot`;
  } else if (metric === 'failed_logins') {
    sql = `
      SELECT ${group} AS grp, ${slot} AS slot, toString(sum(toInt64(sign))) AS value, toString(sum(toInt64(sign))) AS basis
      FROM ${source.table}
      WHERE event_type = 'login' AND status = 'failure' AND (${rangeFilter}) AND ${scoped}
      GROUP BY grp, slot`;
  } else {
    const numerator = metric === 'requests' ? 'toInt64(sign)' : 'toInt64(sign) * has({failed:Array(String)}, status)';
    sql = `
      SELECT ${group} AS grp, ${slot} AS slot, toString(sum(${numerator})) AS value, toString(sum(toInt64(sign))) AS basis
      FROM ${source.table}
      WHERE (${rangeFilter}) AND ${scoped}
      GROUP BY grp, slot`;
  }
  const rows = await clickhouse.query<{ grp: string; slot: number | string; value: string; basis: string }>(sql, params);
  const groups: MeasuredGroups = new Map();
  for (const row of rows) {
    const index = Number(row.slot);
    if (index < 0) continue;
    const basis = Number(row.basis);
    let value: number;
    if (metric === 'revenue') value = money(row.value);
    // One decimal, rounded once in integers like every other rate (exact.ts), not a float × 1000.
    else if (metric === 'failure_rate') value = percent(BigInt(row.value), BigInt(row.basis), 1);
    else value = Number(row.value);
    const slots = groups.get(row.grp) ?? new Array<Observation | undefined>(ranges.length).fill(undefined);
    slots[index] = { value, basis };
    groups.set(row.grp, slots);
  }
  return groups;
}

/** Earliest instant the metric's table holds: history weeks before it are "no data", not zeros. */
export async function dataStart(clickhouse: ClickHouse, metric: AlertMetric): Promise<Date | null> {
  const source = SOURCES[metric];
  const [row] = await clickhouse.query<{ first: string | null }>(
    `SELECT if(count() = 0, NULL, toString(min(${source.time}))) AS first FROM ${source.table}`,
  );
  return row?.first ? fromClickHouseDateTime(row.first) : null;
}
