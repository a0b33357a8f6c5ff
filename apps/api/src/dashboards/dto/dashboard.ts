// Bodies of POST and PATCH on dashboards (wire contract: libs/metrics/src/dashboards.ts), validated
// strictly before anything is written: an unknown field, a wrong type, a widget type, endpoint or
// key the statistics do not have, filters the statistics endpoints would refuse, a position off the
// 12-column grid or overlapping another widget, a refresh below 5 s: each is a
// DashboardValidationError naming the field (`widgets[2].source.key`), the controller's 400
// `{detail, field, valid?}`. A PATCH gives any subset of the fields; `widgets` replaces the list.
import { BadRequestException } from '@nestjs/common';
import {
  GRID_COLUMNS,
  MAX_REFRESH_SECONDS,
  MIN_REFRESH_SECONDS,
  WIDGET_TYPES,
  type DashboardLayout,
  type DashboardWidget,
  type WidgetFilters,
  type WidgetPosition,
  type WidgetType,
} from '../../../../../libs/metrics/src/dashboards.js';
import type { DashboardSettings } from '../../../../../libs/config/src/config.js';
import { FILTER_PARAMETERS, parseFilters } from '../../statistics/dto/filters.js';
import { DRAWABLE, keyKind, UnknownWidgetKey, WIDGET_ENDPOINTS, type WidgetEndpoint } from '../widget-sources.js';
import { InvalidFieldError } from '../../errors/domain-errors.js';

export const DASHBOARD_FIELDS = ['name', 'is_default', 'refresh_seconds', 'layout', 'widgets'] as const;
const WIDGET_FIELDS = ['id', 'type', 'title', 'source', 'filters', 'refresh_seconds', 'position'] as const;
const SOURCE_FIELDS = ['endpoint', 'key'] as const;
const POSITION_FIELDS = ['x', 'y', 'w', 'h'] as const;
const LAYOUT_FIELDS = ['columns', 'row_height'] as const;

export const NAME_MAX_LENGTH = 200;
export const MAX_WIDGETS = 60;
/** Rows below this would only be reached by scrolling for ever. */
export const MAX_ROW = 1000;
export const ROW_HEIGHT_RANGE = { min: 20, max: 400, fallback: 80 } as const;
const WIDGET_ID = /^[A-Za-z0-9_-]{1,64}$/;
const KEY_MAX_LENGTH = 200;

/** A field of the Dashboard that cannot be accepted (400, see InvalidFieldError). */
export class DashboardValidationError extends InvalidFieldError {
  override readonly name = 'DashboardValidationError';
}

export interface DashboardInput {
  name: string;
  is_default: boolean;
  refresh_seconds: number;
  layout: DashboardLayout;
  /** Widgets without an id get one from the repository. */
  widgets: Array<Omit<DashboardWidget, 'id'> & { id: string | null }>;
}

export type DashboardPatch = Partial<DashboardInput>;

type Json = Record<string, unknown>;

function objectAt(value: unknown, field: string, fields: readonly string[]): Json {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new DashboardValidationError(field, `must be a JSON object with ${fields.join(', ')}`, fields);
  }
  const unknown = Object.keys(value).filter((name) => !fields.includes(name));
  if (unknown.length > 0) {
    const name = unknown[0]!;
    throw new DashboardValidationError(field === 'body' ? name : `${field}.${name}`, `unknown field; accepted: ${fields.join(', ')}`, fields);
  }
  return value as Json;
}

function text(value: unknown, field: string, maxLength: number): string {
  if (typeof value !== 'string') throw new DashboardValidationError(field, 'must be a string', `1 to ${maxLength} characters`);
  const trimmed = value.trim();
  if (trimmed.length === 0) throw new DashboardValidationError(field, 'must not be blank', `1 to ${maxLength} characters`);
  if (trimmed.length > maxLength) throw new DashboardValidationError(field, `longer than ${maxLength} characters`, `1 to ${maxLength} characters`);
  if (/[\u0000-\u001f\u007f]/.test(trimmed)) throw new DashboardValidationError(field, 'contains a control character', `1 to ${maxLength} characters`);
  return trimmed;
}

function integerIn(value: unknown, field: string, min: number, max: number, what = ''): number {
  const valid = `an integer from ${min} to ${max}${what}`;
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new DashboardValidationError(field, `must be ${valid}`, valid);
  if (value < min || value > max) throw new DashboardValidationError(field, `${value} is outside ${min}..${max}${what}`, valid);
  return value;
}

function refresh(value: unknown, field: string): number {
  return integerIn(value, field, MIN_REFRESH_SECONDS, MAX_REFRESH_SECONDS, ' (seconds)');
}

function parseLayout(value: unknown): DashboardLayout {
  const layout = objectAt(value, 'layout', LAYOUT_FIELDS);
  const columns = layout.columns ?? GRID_COLUMNS;
  if (columns !== GRID_COLUMNS) throw new DashboardValidationError('layout.columns', `the grid has ${GRID_COLUMNS} columns`, [GRID_COLUMNS]);
  const rowHeight = layout.row_height === undefined ? ROW_HEIGHT_RANGE.fallback : integerIn(layout.row_height, 'layout.row_height', ROW_HEIGHT_RANGE.min, ROW_HEIGHT_RANGE.max, ' (pixels)');
  return { columns: GRID_COLUMNS, row_height: rowHeight };
}

/**
 * The statistics filters, by the statistics endpoints' own rules (parseFilters), named after the
 * widget's field. The stored form reads back as it is: `period: "custom"` (beside from/to) and
 * `period: "all"` say what absent parameters say, so a widget sent back unchanged is accepted.
 */
function parseWidgetFilters(value: unknown, field: string, endpoint: WidgetEndpoint): WidgetFilters {
  const given = value === undefined || value === null ? {} : objectAt(value, field, FILTER_PARAMETERS);
  const query: Json = {};
  for (const [name, filter] of Object.entries(given)) {
    if (filter === null) continue;
    if (typeof filter !== 'string') throw new DashboardValidationError(`${field}.${name}`, 'must be a string or null', 'a string');
    if (name === 'period' && (filter === 'custom' || filter === 'all')) continue;
    query[name] = filter;
  }
  if (endpoint === 'real_time_stats' && Object.keys(query).length > 0) {
    throw new DashboardValidationError(`${field}.${Object.keys(query)[0]}`, 'real_time_stats takes no filter (it is always the last 24 h and 7 days)', []);
  }
  try {
    const filters = parseFilters(query);
    return { period: filters.period, from: filters.from?.toISOString() ?? null, to: filters.to?.toISOString() ?? null, city: filters.city, specialty: filters.specialty };
  } catch (error) {
    if (!(error instanceof BadRequestException)) throw error;
    const body = error.getResponse() as { detail?: string; parameter?: string; valid?: readonly string[] | string };
    throw new DashboardValidationError(`${field}${body.parameter ? `.${body.parameter}` : ''}`, String(body.detail ?? error.message), body.valid);
  }
}

function parseWidget(value: unknown, index: number, defaults: DashboardSettings): DashboardInput['widgets'][number] {
  const field = `widgets[${index}]`;
  const widget = objectAt(value, field, WIDGET_FIELDS);
  let id: string | null = null;
  if (widget.id !== undefined && widget.id !== null) {
    if (typeof widget.id !== 'string' || !WIDGET_ID.test(widget.id)) {
      throw new DashboardValidationError(`${field}.id`, 'must be 1 to 64 letters, digits, _ or - (or absent: the server gives one)', 'A-Z a-z 0-9 _ -');
    }
    id = widget.id;
  }
  if (!(WIDGET_TYPES as readonly unknown[]).includes(widget.type)) {
    throw new DashboardValidationError(`${field}.type`, `${JSON.stringify(widget.type ?? null)} is not a widget type; expected one of ${WIDGET_TYPES.join(', ')}`, WIDGET_TYPES);
  }
  const type = widget.type as WidgetType;
  const title = text(widget.title, `${field}.title`, NAME_MAX_LENGTH);
  const source = objectAt(widget.source, `${field}.source`, SOURCE_FIELDS);
  if (!(WIDGET_ENDPOINTS as readonly unknown[]).includes(source.endpoint)) {
    throw new DashboardValidationError(
      `${field}.source.endpoint`,
      `${JSON.stringify(source.endpoint ?? null)} is not a statistics endpoint; expected one of ${WIDGET_ENDPOINTS.join(', ')}`,
      WIDGET_ENDPOINTS,
    );
  }
  const endpoint = source.endpoint as WidgetEndpoint;
  if (typeof source.key !== 'string' || source.key.length === 0 || source.key.length > KEY_MAX_LENGTH) {
    throw new DashboardValidationError(`${field}.source.key`, `must be a path of 1 to ${KEY_MAX_LENGTH} characters into the answer of ${endpoint}, such as "total"`, 'a.b.c');
  }
  let kind;
  try {
    kind = keyKind(endpoint, source.key);
  } catch (error) {
    if (error instanceof UnknownWidgetKey) throw new DashboardValidationError(`${field}.source.key`, error.message, error.valid);
    throw error;
  }
  if (!DRAWABLE[type].includes(kind)) {
    throw new DashboardValidationError(
      `${field}.source.key`,
      `"${source.key}" of ${endpoint} is ${kind === 'number' ? 'a number' : `a ${kind}`}: a ${type} widget draws ${DRAWABLE[type].map((k) => (k === 'number' ? 'a number' : `a ${k}`)).join(' or ')}`,
      DRAWABLE[type],
    );
  }
  const filters = parseWidgetFilters(widget.filters, `${field}.filters`, endpoint);
  const refreshSeconds = widget.refresh_seconds === undefined ? defaults.widgetRefreshSeconds : refresh(widget.refresh_seconds, `${field}.refresh_seconds`);
  const position = parsePosition(widget.position, `${field}.position`);
  return { id, type, title, source: { endpoint, key: source.key }, filters, refresh_seconds: refreshSeconds, position };
}

function parsePosition(value: unknown, field: string): WidgetPosition {
  const position = objectAt(value, field, POSITION_FIELDS);
  for (const name of POSITION_FIELDS) {
    if (position[name] === undefined) throw new DashboardValidationError(`${field}.${name}`, 'required', POSITION_FIELDS);
  }
  const x = integerIn(position.x, `${field}.x`, 0, GRID_COLUMNS - 1, ' (a column of the 12-column grid)');
  const w = integerIn(position.w, `${field}.w`, 1, GRID_COLUMNS, ' (columns)');
  if (x + w > GRID_COLUMNS) throw new DashboardValidationError(`${field}.w`, `x + w = ${x + w} is past the ${GRID_COLUMNS}-column grid`, `x + w ≤ ${GRID_COLUMNS}`);
  const y = integerIn(position.y, `${field}.y`, 0, MAX_ROW - 1, ' (a row)');
  const h = integerIn(position.h, `${field}.h`, 1, MAX_ROW, ' (rows)');
  if (y + h > MAX_ROW) throw new DashboardValidationError(`${field}.h`, `y + h = ${y + h} is past row ${MAX_ROW}`, `y + h ≤ ${MAX_ROW}`);
  return { x, y, w, h };
}

function overlaps(a: WidgetPosition, b: WidgetPosition): boolean {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

function parseWidgets(value: unknown, defaults: DashboardSettings): DashboardInput['widgets'] {
  if (!Array.isArray(value)) throw new DashboardValidationError('widgets', 'must be a list of widgets', 'a JSON array');
  if (value.length > MAX_WIDGETS) throw new DashboardValidationError('widgets', `${value.length} widgets; at most ${MAX_WIDGETS}`, `0 to ${MAX_WIDGETS} widgets`);
  const widgets = value.map((widget, index) => parseWidget(widget, index, defaults));
  const ids = new Map<string, number>();
  for (const [index, widget] of widgets.entries()) {
    if (widget.id !== null) {
      const first = ids.get(widget.id);
      if (first !== undefined) throw new DashboardValidationError(`widgets[${index}].id`, `"${widget.id}" is also the id of widgets[${first}]`, 'an id unique in the dashboard');
      ids.set(widget.id, index);
    }
    for (let other = 0; other < index; other++) {
      if (overlaps(widget.position, widgets[other]!.position)) {
        const { x, y, w, h } = widgets[other]!.position;
        throw new DashboardValidationError(`widgets[${index}].position`, `overlaps widgets[${other}] (x=${x}, y=${y}, w=${w}, h=${h})`, 'a free area of the grid');
      }
    }
  }
  return widgets;
}

function parseFields(body: unknown, defaults: DashboardSettings): DashboardPatch {
  const fields = objectAt(body, 'body', DASHBOARD_FIELDS);
  const patch: DashboardPatch = {};
  if (fields.name !== undefined) patch.name = text(fields.name, 'name', NAME_MAX_LENGTH);
  if (fields.is_default !== undefined) {
    if (typeof fields.is_default !== 'boolean') throw new DashboardValidationError('is_default', 'must be true or false', ['true', 'false']);
    patch.is_default = fields.is_default;
  }
  if (fields.refresh_seconds !== undefined) patch.refresh_seconds = refresh(fields.refresh_seconds, 'refresh_seconds');
  if (fields.layout !== undefined) patch.layout = parseLayout(fields.layout);
  if (fields.widgets !== undefined) patch.widgets = parseWidgets(fields.widgets, defaults);
  return patch;
}

/** POST body: `name` required; the other fields default (refresh DASHBOARD_REFRESH_SECONDS, no widget). */
export function parseDashboardInput(body: unknown, defaults: DashboardSettings): DashboardInput {
  const patch = parseFields(body, defaults);
  if (patch.name === undefined) throw new DashboardValidationError('name', 'required', `1 to ${NAME_MAX_LENGTH} characters`);
  return {
    name: patch.name,
    is_default: patch.is_default ?? false,
    refresh_seconds: patch.refresh_seconds ?? defaults.refreshSeconds,
    layout: patch.layout ?? { columns: GRID_COLUMNS, row_height: ROW_HEIGHT_RANGE.fallback },
    widgets: patch.widgets ?? [],
  };
}

/** PATCH body: any subset of the fields. */
export function parseDashboardPatch(body: unknown, defaults: DashboardSettings): DashboardPatch {
  return parseFields(body, defaults);
}
