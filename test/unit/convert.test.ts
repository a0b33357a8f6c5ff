import { describe, expect, it } from 'vitest';
import { rowImageJson, signedLine, stateLine, timestampToClickHouse, tombstoneLine, valueToJson } from '../../apps/ingest/src/convert.js';
import { formatLsn, parseLsn } from '../../apps/ingest/src/pgoutput.js';
import { tableSpec } from '../../apps/ingest/src/tables.js';

describe('timestamps', () => {
  it('keeps microseconds and converts offsets to UTC', () => {
    expect(timestampToClickHouse('2025-07-14 22:54:14.123456+00')).toBe('2025-07-14 22:54:14.123456');
    expect(timestampToClickHouse('2025-07-14 22:54:14+00')).toBe('2025-07-14 22:54:14.000000');
    expect(timestampToClickHouse('2025-07-15 00:24:14.5+01:30')).toBe('2025-07-14 22:54:14.500000');
    expect(timestampToClickHouse('2025-01-01 02:00:00-05')).toBe('2025-01-01 07:00:00.000000');
  });

  it('clamps values ClickHouse cannot hold', () => {
    expect(timestampToClickHouse('infinity')).toBe('2299-12-31 23:59:59.999999');
    expect(timestampToClickHouse('-infinity')).toBe('1900-01-01 00:00:00.000000');
    expect(timestampToClickHouse('0044-03-15 12:00:00+00 BC')).toBe('1900-01-01 00:00:00.000000');
    expect(timestampToClickHouse('12000-01-01 00:00:00+00')).toBe('2299-12-31 23:59:59.999999');
    expect(() => timestampToClickHouse('yesterday')).toThrow(/unrecognised/);
  });
});

describe('values', () => {
  const column = (kind: 'int' | 'numeric' | 'bool' | 'text' | 'float', nullable = false) => ({ name: 'c', kind, nullable });
  it('keeps money exact and refuses garbage', () => {
    expect(valueToJson(column('numeric'), '1499999.99')).toBe('"1499999.99"');
    expect(valueToJson(column('numeric', true), 'NaN')).toBe('null');
    expect(() => valueToJson(column('numeric'), '1e5')).toThrow();
    expect(() => valueToJson(column('int'), '12; DROP')).toThrow();
    expect(valueToJson(column('float', true), 'NaN')).toBe('null');
  });

  it('encodes text safely and NULLs only where allowed', () => {
    expect(valueToJson(column('text'), 'a"b\\c\n')).toBe(JSON.stringify('a"b\\c\n'));
    expect(valueToJson(column('bool'), 't')).toBe('true');
    expect(() => valueToJson(column('text'), null)).toThrow(/NULL/);
    expect(valueToJson(column('text', true), null)).toBe('null');
  });

  it('builds rows that ignore unknown columns, and tombstones', () => {
    const users = tableSpec('users_user')!;
    const image = rowImageJson(
      users,
      new Map<string, string | null>([
        ['id', '7'],
        ['user_type', 'superviseur'],
        ['a_new_upstream_column', 'x'],
      ]),
    );
    expect(JSON.parse(stateLine(image, 42n))).toEqual({ id: 7, user_type: 'superviseur', _version: 42, _deleted: 0 });
    expect(JSON.parse(signedLine(image, 42n, -1))).toEqual({ id: 7, user_type: 'superviseur', _version: 42, sign: -1 });
    expect(JSON.parse(tombstoneLine('7', 43n))).toEqual({ id: 7, _version: 43, _deleted: 1 });
  });
});

describe('LSN', () => {
  it('round-trips', () => {
    expect(formatLsn(parseLsn('16/B374D848'))).toBe('16/B374D848');
    expect(parseLsn('1/0')).toBe(1n << 32n);
  });
});
