// The one place that talks to ClickHouse. Callers see the same interface whether the engine is the
// embedded chdb (default, data under CLICKHOUSE_DATA_DIR) or a server reached with @clickhouse/client
// (CLICKHOUSE_URL). SQL is the same on both; values always travel as bound parameters {name:Type}.

/** Bound values; arrays bind as ClickHouse arrays (`{ids:Array(Int64)}`), never as joined strings. */
export type QueryParams = Record<string, string | number | boolean | null | ReadonlyArray<string | number>>;

/** Payload formats accepted for raw inserts (line-delimited, so a payload can be split on '\n'). */
export type InsertFormat = 'JSONEachRow' | 'TabSeparated';

export interface InsertRequest {
  table: string;
  format: InsertFormat;
  /** The rows, already encoded in `format`: a buffer or a byte stream (large snapshots). */
  values: Buffer | AsyncIterable<Buffer>;
  columns?: readonly string[];
}

export class ClickHouseError extends Error {
  constructor(
    message: string,
    readonly clickhouseCode: number | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ClickHouseError';
  }
}

export interface ClickHouse {
  readonly engine: 'embedded' | 'server';
  readonly database: string;
  /** Runs a SELECT and returns its rows (JSONEachRow). */
  query<Row = Record<string, unknown>>(sql: string, params?: QueryParams): Promise<Row[]>;
  /** Runs a statement that returns no rows (DDL, INSERT ... SELECT, TRUNCATE). */
  command(sql: string, params?: QueryParams): Promise<void>;
  insert(request: InsertRequest): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The one row of an aggregate query (sums without GROUP BY always give exactly one): typed by its
 * column names, and an error rather than `undefined` if the engine answers otherwise.
 */
export async function queryOne<Row>(clickhouse: ClickHouse, sql: string, params?: QueryParams): Promise<Row> {
  const rows = await clickhouse.query<Row>(sql, params);
  if (rows.length !== 1) throw new Error(`expected exactly one row, got ${rows.length}: ${sql.trim().slice(0, 80)}`);
  return rows[0]!;
}

/** Formats an instant the way DateTime64(6, 'UTC') parameters and columns expect it. */
export function toClickHouseDateTime(instant: Date): string {
  return instant.toISOString().replace('T', ' ').replace('Z', '');
}

/** The instant of a UTC DateTime/DateTime64 value as ClickHouse prints it ('2026-11-01 08:00:00.123'). */
export function fromClickHouseDateTime(text: string): Date {
  return new Date(`${text.replace(' ', 'T')}Z`);
}
