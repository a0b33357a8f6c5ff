// Where a widget's numbers come from: an endpoint (a section, kpis or real_time_stats) and a key path
// into its answer. The known paths are read from the endpoints' OpenAPI response schemas
// (openapi/schemas.ts, themselves checked against real answers by test/medium/openapi.test.ts), so
// the list of keys a widget may read is never typed a second time: a key added to a section's
// answer and its schema becomes a valid widget key, one removed stops being one.
import { SECTIONS } from '../../../../libs/metrics/src/types.js';
import type { WidgetType } from '../../../../libs/metrics/src/dashboards.js';
import { KPIS, REAL_TIME_STATS, SECTION, type SchemaObject } from '../openapi/schemas.js';

export const WIDGET_ENDPOINTS = [...SECTIONS, 'kpis', 'real_time_stats'] as const;
export type WidgetEndpoint = (typeof WIDGET_ENDPOINTS)[number];

/** Keys that describe the computation rather than measure anything: not a widget's value. */
const METADATA_KEYS = new Set(['calculation_info', 'current_time']);

/** An array index in a key path (`top_technicians.0.name`); arrays hold 500 entries at most. */
const INDEX = /^(0|[1-9]\d{0,2})$/;

function sectionSchema(section: string): SchemaObject {
  const schema = SECTION.oneOf?.find((candidate) => candidate.title === section);
  if (!schema) throw new Error(`openapi: no response schema for section ${section}`);
  return schema;
}

const ENDPOINT_SCHEMAS: ReadonlyMap<string, SchemaObject> = new Map<string, SchemaObject>([
  ...SECTIONS.map((section): [string, SchemaObject] => [section, sectionSchema(section)]),
  ['kpis', KPIS],
  ['real_time_stats', REAL_TIME_STATS],
]);

/** What a key path reaches, as a widget needs to know it. */
export type KeyKind = 'number' | 'string' | 'boolean' | 'object' | 'map' | 'list' | 'any';

function kindOf(schema: SchemaObject): KeyKind {
  if (schema.type === 'number' || schema.type === 'integer') return 'number';
  if (schema.type === 'string') return 'string';
  if (schema.type === 'boolean') return 'boolean';
  if (schema.type === 'array') return 'list';
  if (schema.type === 'object') return schema.properties ? 'object' : 'map';
  return 'any';
}

function properties(schema: SchemaObject): string[] {
  return Object.keys(schema.properties ?? {}).filter((key) => !METADATA_KEYS.has(key));
}

export class UnknownWidgetKey extends Error {
  constructor(
    message: string,
    readonly valid: readonly string[],
  ) {
    super(message);
    this.name = 'UnknownWidgetKey';
  }
}

/**
 * The kind of value `key` reaches in `endpoint`'s answer; UnknownWidgetKey (with the keys valid
 * where it went wrong) when the answer has no such path. Free keys of a map (a day, a status, a
 * city) are accepted as they are: which exist depends on the data.
 */
export function keyKind(endpoint: WidgetEndpoint, key: string): KeyKind {
  let schema = ENDPOINT_SCHEMAS.get(endpoint)!;
  const segments = key.split('.');
  for (const [i, segment] of segments.entries()) {
    const at = segments.slice(0, i).join('.');
    const where = at ? `under "${at}" of ${endpoint}` : `in ${endpoint}`;
    if (segment === '') throw new UnknownWidgetKey(`empty segment in key "${key}"`, properties(schema));
    if (schema.properties) {
      const next = Object.hasOwn(schema.properties, segment) && !METADATA_KEYS.has(segment) ? schema.properties[segment] : undefined;
      if (!next) throw new UnknownWidgetKey(`unknown key "${segment}" ${where}; expected one of ${properties(schema).join(', ')}`, properties(schema));
      schema = next;
    } else if (schema.type === 'object' && typeof schema.additionalProperties === 'object') {
      schema = schema.additionalProperties;
    } else if (schema.type === 'array' && schema.items) {
      if (!INDEX.test(segment)) throw new UnknownWidgetKey(`"${segment}" ${where} must be a list index (0, 1, …)`, ['0', '1', '…']);
      schema = schema.items;
    } else {
      throw new UnknownWidgetKey(`"${at}" of ${endpoint} is a single value: it has no key "${segment}"`, []);
    }
  }
  return kindOf(schema);
}

/** Which kinds of value each widget type can draw. */
export const DRAWABLE: Record<WidgetType, readonly KeyKind[]> = {
  metric: ['number'],
  line: ['map', 'list', 'object'],
  bar: ['map', 'list', 'object'],
  pie: ['map', 'list', 'object'],
  area: ['map', 'list', 'object'],
  radar: ['map', 'list', 'object'],
  table: ['map', 'list', 'object'],
  map: ['list'],
};

export interface SourceKey {
  key: string;
  kind: KeyKind;
}

/** Every fixed key path of an endpoint's answer, depth first (maps and lists as one key each). */
export function endpointKeys(endpoint: WidgetEndpoint): SourceKey[] {
  const keys: SourceKey[] = [];
  const walk = (schema: SchemaObject, prefix: string): void => {
    for (const name of properties(schema)) {
      const child = schema.properties![name]!;
      const key = prefix ? `${prefix}.${name}` : name;
      keys.push({ key, kind: kindOf(child) });
      if (child.properties) walk(child, key);
    }
  };
  walk(ENDPOINT_SCHEMAS.get(endpoint)!, '');
  return keys;
}

/** The value at `key` in an answer; null where the data has no such entry (a status never seen, an index past the end). */
export function valueAt(answer: unknown, key: string): unknown {
  let value: unknown = answer;
  for (const segment of key.split('.')) {
    if (value === null || typeof value !== 'object') return null;
    if (Array.isArray(value)) {
      value = value[Number(segment)];
    } else {
      value = Object.hasOwn(value, segment) ? (value as Record<string, unknown>)[segment] : undefined;
    }
    if (value === undefined) return null;
  }
  return value;
}
