// The one interface repositories use for the service's own state, on SQLite and on Postgres alike.
// Repository SQL is written once, in the subset both dialects share, with these conventions:
// - placeholders are Postgres-style `$1, $2…` (the SQLite store rewrites them; a number may repeat);
// - times are ISO-8601 UTC text with milliseconds (`2026-11-01T08:00:00.000Z`): it sorts as time,
//   reads back as the same string on both, and is already the wire format;
// - booleans are 0/1 integers on both (a JS boolean parameter is bound as 1 or 0), so a row reads
//   back with the same JS values from either driver;
// - numbers: `integer` and `double precision`/`REAL` columns only; no bigint or numeric, which pg
//   returns as strings (cast an aggregate: `CAST(COUNT(*) AS INTEGER)`).

export type StateDialect = 'sqlite' | 'postgres';

export type StateParameter = string | number | boolean | null;

/** Statements, inside or outside a transaction. */
export interface StateQueries {
  readonly dialect: StateDialect;
  /** Rows of a statement that returns rows (SELECT, or a write with RETURNING). */
  query<T extends object>(sql: string, params?: readonly StateParameter[]): Promise<T[]>;
  /** Runs a write; resolves to the number of rows it inserted, updated or deleted. */
  execute(sql: string, params?: readonly StateParameter[]): Promise<number>;
}

export interface StateStore extends StateQueries {
  /**
   * Runs `work` in one transaction: committed when it resolves, rolled back when it throws (the
   * error is rethrown). Statements of the transaction go through `tx`, never through the store.
   */
  transaction<T>(work: (tx: StateQueries) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** The store cannot be used (unreachable Postgres, unwritable SQLite file, closed store). */
export class StateStoreError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StateStoreError';
  }
}

/** Booleans as 0/1 (see the header): the one place a parameter is converted, for both dialects. */
export function bindable(params: readonly StateParameter[]): Array<string | number | null> {
  return params.map((value) => (typeof value === 'boolean' ? (value ? 1 : 0) : value));
}
