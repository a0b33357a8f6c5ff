// Bound parameters shared by the statistics queries: every instant derives from one `now`.
//
// A window [start, end) is read as whole UTC days from the daily aggregates plus the partial days
// at either edge from the signed change log (libs/metrics/src/catalogue/sql-windows.ts says how);
// this module binds the parameters those conditions name. All parts are sign-weighted sums over the
// same rows, so the total is exact at microsecond precision.
import { toClickHouseDateTime } from '../../../../../libs/clickhouse/src/clickhouse.js';
import type { StatisticsQuery } from '../../../../../libs/metrics/src/types.js';
import { BEGINNING_OF_TIME, daysBefore, hoursBefore, trendCalendar, utcDay, utcMidnight } from '../../../../../libs/metrics/src/windows.js';

import type { WindowName } from '../../../../../libs/metrics/src/catalogue/sql-windows.js';

export { AT, inWindow, partialDay, wholeDays, type WindowName } from '../../../../../libs/metrics/src/catalogue/sql-windows.js';

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

/** The request scope RF on a row with `city` and `specialty_needed` columns. */
export const REQUEST_SCOPE =
  '({hasCity:UInt8} = 0 OR city = {city:String}) AND ({hasSpecialty:UInt8} = 0 OR specialty_needed = {specialty:String})';

/** Ids of the requests in scope, for payments and reviews reached through request_id. */
export const SCOPED_REQUEST_IDS = `SELECT id FROM depannage_repairrequest FINAL WHERE ${REQUEST_SCOPE}`;
