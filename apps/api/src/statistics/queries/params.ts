// Bound parameters shared by the statistics queries: every instant derives from one `now`.
import { toClickHouseDateTime } from '../../../../../libs/clickhouse/src/clickhouse.js';
import { daysBefore, hoursBefore, periodStart, trendCalendar } from '../../../../../libs/metrics/src/windows.js';
import type { StatisticsQuery } from '../../../../../libs/metrics/src/types.js';

export interface WindowParams {
  [name: string]: string;
  /** Start of the requested period (`period` filter). */
  since: string;
  now: string;
  last24h: string;
  last7d: string;
  last30d: string;
  /** Earliest instant of any trend bucket. */
  trendSince: string;
}

export function windowParams(query: StatisticsQuery): WindowParams {
  return {
    since: toClickHouseDateTime(periodStart(query.period, query.now)),
    now: toClickHouseDateTime(query.now),
    last24h: toClickHouseDateTime(hoursBefore(query.now, 24)),
    last7d: toClickHouseDateTime(daysBefore(query.now, 7)),
    last30d: toClickHouseDateTime(daysBefore(query.now, 30)),
    trendSince: toClickHouseDateTime(trendCalendar(query.now).since),
  };
}

/** SQL type of every instant parameter. */
export const AT = "DateTime64(6, 'UTC')";
