// Converts Postgres values into what ClickHouse columns accept, identically for the snapshot (done
// in SQL by the COPY projection) and the stream (done here on pgoutput's text values): a row
// reads the same whichever path brought it.
import type { ColumnSpec, TableSpec } from './tables.js';

const MIN_TIMESTAMP = '1900-01-01 00:00:00.000000';
const MAX_TIMESTAMP = '2299-12-31 23:59:59.999999';
const TIMESTAMP_TEXT =
  /^(\d{4,})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?([+-])(\d{2})(?::?(\d{2}))?(?::?(\d{2}))?( BC)?$/;

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}

/** '2025-07-14 22:54:14.123456+00' (timestamptz text output, any offset) → '2025-07-14 22:54:14.123456' UTC. */
export function timestampToClickHouse(text: string): string {
  if (text === 'infinity') return MAX_TIMESTAMP;
  if (text === '-infinity') return MIN_TIMESTAMP;
  const match = TIMESTAMP_TEXT.exec(text);
  if (!match) throw new Error(`unrecognised timestamp "${text}"`);
  const [, y, mo, d, h, mi, s, fraction = '', sign, oh, om = '0', os = '0', bc] = match;
  if (bc || Number(y) < 1900) return MIN_TIMESTAMP;
  if (Number(y) > 2299) return MAX_TIMESTAMP;
  const micros = fraction.padEnd(6, '0');
  const offsetSeconds = (sign === '-' ? -1 : 1) * (Number(oh) * 3600 + Number(om) * 60 + Number(os));
  if (offsetSeconds === 0) return `${y}-${mo}-${d} ${h}:${mi}:${s}.${micros}`;
  const utcMillis =
    Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)) - offsetSeconds * 1000;
  const utc = new Date(utcMillis);
  const iso = `${pad(utc.getUTCFullYear(), 4)}-${pad(utc.getUTCMonth() + 1, 2)}-${pad(utc.getUTCDate(), 2)} ${pad(
    utc.getUTCHours(),
    2,
  )}:${pad(utc.getUTCMinutes(), 2)}:${pad(utc.getUTCSeconds(), 2)}.${micros}`;
  if (iso < MIN_TIMESTAMP) return MIN_TIMESTAMP;
  if (iso > MAX_TIMESTAMP) return MAX_TIMESTAMP;
  return iso;
}

const INTEGER = /^-?\d+$/;
const DECIMAL = /^-?\d+(\.\d+)?$/;
const FLOAT = /^-?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/** One column value as a JSON literal for JSONEachRow, from pgoutput text (null = SQL NULL). */
export function valueToJson(column: ColumnSpec, text: string | null): string {
  if (text === null) {
    if (column.nullable) return 'null';
    throw new Error(`NULL in non-nullable column ${column.name}`);
  }
  switch (column.kind) {
    case 'int':
      if (!INTEGER.test(text)) throw new Error(`column ${column.name}: "${text}" is not an integer`);
      return text;
    case 'numeric':
      // numeric can hold NaN, which no Decimal can: it becomes NULL (or 0 where NULL is not allowed).
      if (text === 'NaN') return column.nullable ? 'null' : '0';
      if (!DECIMAL.test(text)) throw new Error(`column ${column.name}: "${text}" is not a decimal`);
      return `"${text}"`;
    case 'float':
      if (!FLOAT.test(text)) return column.nullable ? 'null' : '0';
      return text;
    case 'bool':
      return text === 't' ? 'true' : 'false';
    case 'timestamp':
      return `"${timestampToClickHouse(text)}"`;
    case 'text':
    case 'inet':
      return JSON.stringify(text);
  }
}

/** SQL expression reading one column in the snapshot COPY so that it matches valueToJson. */
export function snapshotExpression(column: ColumnSpec): string {
  const name = `"${column.name}"`;
  switch (column.kind) {
    case 'int':
    case 'text':
    // COPY prints inet with its output function, as pgoutput does ('10.1.2.3'); a ::text cast
    // would add the mask of a host address ('10.1.2.3/32') and the two paths would disagree.
    case 'inet':
      return name;
    case 'bool':
      return `${name}::int`;
    case 'numeric':
      return column.nullable ? `NULLIF(${name}, 'NaN')` : `COALESCE(NULLIF(${name}, 'NaN'), 0)`;
    case 'float':
      return `CASE WHEN ${name} IN ('NaN', 'Infinity', '-Infinity') THEN ${column.nullable ? 'NULL' : '0'} ELSE ${name} END`;
    case 'timestamp':
      // LEAST/GREATEST skip NULLs (GREATEST(NULL, x) = x): NULL must be tested first.
      return `CASE WHEN ${name} IS NULL THEN NULL ELSE to_char(LEAST(GREATEST(${name}, '1900-01-01 00:00:00+00'::timestamptz), '2299-12-31 23:59:59.999999+00'::timestamptz) AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') END`;
  }
}

/** SELECT used by the snapshot COPY: the replicated columns, then _version 0 and _deleted 0. */
export function snapshotSelect(table: TableSpec): string {
  const columns = table.columns.map(snapshotExpression).join(', ');
  return `SELECT ${columns}, 0, 0 FROM public."${table.name}"`;
}

/** The ClickHouse column list matching snapshotSelect and rowToJsonLine. */
export function clickhouseColumns(table: TableSpec): string[] {
  return [...table.columns.map((column) => column.name), '_version', '_deleted'];
}

/**
 * The JSON members of a row image (without the bookkeeping columns). `values` maps column name →
 * pgoutput text or null; columns missing from it (dropped upstream) take ClickHouse defaults.
 */
export function rowImageJson(table: TableSpec, values: Map<string, string | null>): string {
  const parts: string[] = [];
  for (const column of table.columns) {
    const text = values.get(column.name);
    if (text === undefined) continue;
    parts.push(`"${column.name}":${valueToJson(column, text)}`);
  }
  return parts.join(',');
}

/** A row image as a JSONEachRow line of the current-state table. */
export function stateLine(image: string, version: bigint): string {
  return `{${image},"_version":${version},"_deleted":0}`;
}

/** A row image as a JSONEachRow line of the signed change log (+1 adds it, -1 retracts it). */
export function signedLine(image: string, version: bigint, sign: 1 | -1): string {
  return `{${image},"_version":${version},"sign":${sign}}`;
}

/** The tombstone of a deleted row: its key and _deleted = 1 (FINAL drops the row). */
export function tombstoneLine(id: string, version: bigint): string {
  if (!INTEGER.test(id)) throw new Error(`deleted row key "${id}" is not an integer`);
  return `{"id":${id},"_version":${version},"_deleted":1}`;
}
