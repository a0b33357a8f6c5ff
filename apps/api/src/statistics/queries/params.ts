// Bound parameters shared by the statistics queries: every instant derives from one `now`.
//
// A window [start, end) is read in three parts: whole UTC days from the daily aggregates
// (start's first whole day up to end's day), and the partial days at either edge from the signed
// change log, which is ordered by time so each edge is a short range scan. All parts are
// sign-weighted sums over the same rows, so the total is exact at microsecond precision. Windows
// without an end (every named period) have no upper edge: `{<w>Bounded:UInt8} = 0` is a constant
// the engine folds away, so one SQL text serves both shapes.
import { toClickHouseDateTime } from '../../../../../libs/clickhouse/src/clickhouse.js';
import type { StatisticsQuery } from '../../../../../libs/metrics/src/types.js';
import { BEGINNING_OF_TIME, daysBefore, hoursBefore, trendCalendar, utcDay, utcMidnight } from '../../../../../libs/metrics/src/windows.js';

/** since = the filtered window; trend = from the earliest trend bucket on; lastN = rolling windows. */
export type WindowName = 'since' | 'trend' | 'last24h' | 'last7d' | 'last30d';

export type WindowParams = Record<string, string | number>;

/** First whole UTC day at or after `start`. */
function firstWholeDay(start: Date): Date {
  const midnight = utcMidnight(start);
  return midnight.getTime() === start.getTime() ? midnight : utcMidnight(start, 1);
}

function windowBounds(name: WindowName, start: Date, end: Date | null): WindowParams {
  const wholeFrom = firstWholeDay(start);
  // Unbounded: the upper values are never read ({<w>Bounded} = 0), but every parameter must be given.
  let wholeTo = wholeFrom;
  let firstEdgeEnd = wholeFrom;
  let lastEdgeStart = start;
  if (end) {
    wholeTo = utcMidnight(end);
    lastEdgeStart = wholeTo;
    if (wholeFrom > wholeTo) {
      // Start and end fall in the same day: no whole day, one edge [start, end), the other empty.
      wholeTo = wholeFrom;
      firstEdgeEnd = end;
      lastEdgeStart = end;
    }
  }
  return {
    [name]: toClickHouseDateTime(start),
    [`${name}Bounded`]: end ? 1 : 0,
    [`${name}Day`]: utcDay(wholeFrom),
    [`${name}DayAt`]: toClickHouseDateTime(firstEdgeEnd),
    [`${name}End`]: toClickHouseDateTime(end ?? start),
    [`${name}EndDay`]: utcDay(wholeTo),
    [`${name}EndDayAt`]: toClickHouseDateTime(lastEdgeStart),
  };
}

export function windowParams(query: StatisticsQuery): WindowParams {
  return {
    now: toClickHouseDateTime(query.now),
    hasCity: query.city === null ? 0 : 1,
    city: query.city ?? '',
    hasSpecialty: query.specialty === null ? 0 : 1,
    specialty: query.specialty ?? '',
    ...windowBounds('since', query.from ?? BEGINNING_OF_TIME, query.to),
    ...windowBounds('trend', trendCalendar(query.now).since, null),
    ...windowBounds('last24h', hoursBefore(query.now, 24), null),
    ...windowBounds('last7d', daysBefore(query.now, 7), null),
    ...windowBounds('last30d', daysBefore(query.now, 30), null),
  };
}

/** True when city or specialty narrows the requests (and what hangs off them). */
export function isScoped(params: WindowParams): boolean {
  return params.hasCity === 1 || params.hasSpecialty === 1;
}

/** True when the window is the whole history, unfiltered: the all-time aggregates answer it. */
export function isAllTime(params: WindowParams): boolean {
  return params.since === toClickHouseDateTime(BEGINNING_OF_TIME) && params.sinceBounded === 0 && !isScoped(params);
}

/** SQL type of every instant parameter. */
export const AT = "DateTime64(6, 'UTC')";

/** `day` among the whole days of window w (aggregates). */
export function wholeDays(window: WindowName): string {
  return `day >= {${window}Day:Date32} AND ({${window}Bounded:UInt8} = 0 OR day < {${window}EndDay:Date32})`;
}

/** `column` in the partial days at the edges of window w (signed change log). */
export function partialDay(column: string, window: WindowName): string {
  return `((${column} >= {${window}:${AT}} AND ${column} < {${window}DayAt:${AT}})
          OR ({${window}Bounded:UInt8} = 1 AND ${column} >= {${window}EndDayAt:${AT}} AND ${column} < {${window}End:${AT}}))`;
}

/** `column` anywhere in window w (state tables). */
export function inWindow(column: string, window: WindowName): string {
  return `${column} >= {${window}:${AT}} AND ({${window}Bounded:UInt8} = 0 OR ${column} < {${window}End:${AT}})`;
}

/** The request scope RF on a row with `city` and `specialty_needed` columns. */
export const REQUEST_SCOPE =
  '({hasCity:UInt8} = 0 OR city = {city:String}) AND ({hasSpecialty:UInt8} = 0 OR specialty_needed = {specialty:String})';

/** Ids of the requests in scope, for payments and reviews reached through request_id. */
export const SCOPED_REQUEST_IDS = `SELECT id FROM depannage_repairrequest FINAL WHERE ${REQUEST_SCOPE}`;
