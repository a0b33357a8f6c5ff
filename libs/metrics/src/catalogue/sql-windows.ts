// SQL conditions that place a row in a time window. A window [start, end) is read in three parts:
// whole UTC days from the daily aggregates (start's first whole day up to end's day), and the
// partial days at either edge from the signed change log, which is ordered by time so each edge is
// a short range scan. Windows without an end (every named period) have no upper edge:
// `{<w>Bounded:UInt8} = 0` is a constant the engine folds away, so one SQL text serves both shapes.
// The parameters are bound by apps/api/src/statistics/queries/params.ts (windowParams).

/** since = the filtered window; trend = from the earliest trend bucket on; lastN = rolling windows. */
export type WindowName = 'since' | 'trend' | 'last24h' | 'last7d' | 'last30d';

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
