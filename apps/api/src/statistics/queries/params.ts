// Bound parameters shared by the statistics queries: every instant derives from one `now`.
//
// A rolling window [start, ∞) is read in two parts: whole UTC days from the daily aggregates
// (day >= {<w>Day}), and the partial first day [start, {<w>DayAt}) from the signed change log,
// which is ordered by time so that part is a short range scan. Both are sign-weighted sums over
// the same rows, so the total is exact at microsecond precision.
import { toClickHouseDateTime } from '../../../../../libs/clickhouse/src/clickhouse.js';
import { daysBefore, hoursBefore, periodStart, trendCalendar, utcDay, utcMidnight } from '../../../../../libs/metrics/src/windows.js';
import type { StatisticsQuery } from '../../../../../libs/metrics/src/types.js';

export type WindowName = 'since' | 'last24h' | 'last7d' | 'last30d';

export type WindowParams = Record<string, string>;

/** First whole UTC day at or after `start`. */
function firstWholeDay(start: Date): Date {
  const midnight = utcMidnight(start);
  return midnight.getTime() === start.getTime() ? midnight : utcMidnight(start, 1);
}

export function windowParams(query: StatisticsQuery): WindowParams {
  const starts: Record<WindowName, Date> = {
    since: periodStart(query.period, query.now),
    last24h: hoursBefore(query.now, 24),
    last7d: daysBefore(query.now, 7),
    last30d: daysBefore(query.now, 30),
  };
  const params: WindowParams = {
    period: query.period,
    now: toClickHouseDateTime(query.now),
    trendSinceDay: utcDay(trendCalendar(query.now).since),
  };
  for (const [name, start] of Object.entries(starts)) {
    const wholeDay = firstWholeDay(start);
    params[name] = toClickHouseDateTime(start);
    params[`${name}Day`] = utcDay(wholeDay);
    params[`${name}DayAt`] = toClickHouseDateTime(wholeDay);
  }
  return params;
}

/** SQL type of every instant parameter. */
export const AT = "DateTime64(6, 'UTC')";

/** `day >= first whole day of window w` (aggregates). */
export function wholeDays(window: WindowName): string {
  return `day >= {${window}Day:Date32}`;
}

/** `column in the partial first day of window w` (signed change log). */
export function partialDay(column: string, window: WindowName): string {
  return `${column} >= {${window}:${AT}} AND ${column} < {${window}DayAt:${AT}}`;
}
