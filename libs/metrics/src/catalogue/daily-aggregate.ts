// One definition per pre-aggregated table: the per-row expression of each of its columns over the
// signed change log. From it come both the materialized view's SELECT (test/medium/catalogue.test.ts
// holds every view migration to it, so a migration cannot silently disagree) and the partial edge
// days the statistics read from the log beside the aggregate's whole days, so that the two halves
// of a window are the same expressions over the same rows.
import { partialDay, wholeDays, type WindowName } from './sql-windows.js';

export interface DailyAggregate {
  /** The SummingMergeTree the view feeds. */
  readonly table: string;
  /** The materialized view that feeds it. */
  readonly view: string;
  /** The signed change log the view reads (every row counted with its sign, ±1). */
  readonly log: string;
  /** The replicated table the log mirrors: a change to it changes the aggregate. */
  readonly source: string;
  /**
   * The instant whose UTC day files a row, and the day expression; null for all-time aggregates.
   * Edge days select on the instant column itself.
   */
  readonly day: { readonly column: string; readonly expression: string } | null;
  /** Rows of the log the aggregate counts at all (ANDed with the window), or null. */
  readonly where: string | null;
  /** Grouping columns: name → per-row expression (the name itself for a plain column). */
  readonly dimensions: Readonly<Record<string, string>>;
  /** Summed columns: name → signed per-row expression, so a sum over the log is exact under updates and deletes. */
  readonly measures: Readonly<Record<string, string>>;
}

/** The per-row expression behind an aggregate column, or `column` itself when it is not one (a literal). */
export function rowExpression(aggregate: DailyAggregate, column: string): string {
  if (column === 'day' && aggregate.day) return aggregate.day.expression;
  return aggregate.dimensions[column] ?? aggregate.measures[column] ?? column;
}

/** The SELECT of the aggregate's materialized view. */
export function viewSelect(aggregate: DailyAggregate): string {
  const aliased = (name: string, expression: string): string => (expression === name ? name : `${expression} AS ${name}`);
  const keys = [...(aggregate.day ? ['day'] : []), ...Object.keys(aggregate.dimensions)];
  const columns = [
    ...(aggregate.day ? [aliased('day', aggregate.day.expression)] : []),
    ...Object.entries(aggregate.dimensions).map(([name, expression]) => aliased(name, expression)),
    ...Object.entries(aggregate.measures).map(([name, expression]) => `sum(${expression}) AS ${name}`),
  ];
  return `SELECT ${columns.join(', ')}
FROM ${aggregate.log}${aggregate.where ? `\nWHERE ${aggregate.where}` : ''}
GROUP BY ${keys.join(', ')}`;
}

/**
 * The partial edge days of window w straight from the log, one row per change, with the given
 * aggregate columns (or literals) in order; `filter` applies to the log's own columns.
 */
export function edgeRows(aggregate: DailyAggregate, window: WindowName, columns: readonly string[], filter?: string): string {
  if (!aggregate.day) throw new Error(`${aggregate.table} is not per day: it has no edge days`);
  const conditions = [aggregate.where, partialDay(aggregate.day.column, window), filter].filter((part): part is string => Boolean(part));
  return `SELECT ${columns.map((column) => rowExpression(aggregate, column)).join(', ')}
    FROM ${aggregate.log} WHERE ${conditions.join(' AND ')}`;
}

/**
 * Window w as rows shaped like the aggregate: its whole days, then the edge days from the log.
 * `filter` must name columns that the aggregate and the log share (e.g. city, status).
 */
export function dailyRows(aggregate: DailyAggregate, window: WindowName, columns: readonly string[], filter?: string): string {
  const whole = [wholeDays(window), filter].filter((part): part is string => Boolean(part)).join(' AND ');
  return `
    SELECT ${columns.join(', ')} FROM ${aggregate.table} WHERE ${whole}
    UNION ALL
    ${edgeRows(aggregate, window, columns, filter)}`;
}
