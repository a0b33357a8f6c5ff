// What an export asks for, from the query string of export_statistics or the JSON body of
// POST exports/: the statistics filters (same rules and 400s as the statistics endpoints), the
// sections and the type. Everything is checked before a job exists, so a bad request creates nothing.
import { BadRequestException } from '@nestjs/common';
import { EXPORT_TYPES, type ExportFilters, type ExportRequest, type ExportType } from '../../../../../libs/metrics/src/exports.js';
import { SECTIONS, type Section, type StatisticsFilters } from '../../../../../libs/metrics/src/types.js';
import { FILTER_PARAMETERS, invalid, parseFilters, single } from '../../statistics/dto/filters.js';

const QUERY_PARAMETERS = ['type', 'sections', ...FILTER_PARAMETERS] as const;
const BODY_FIELDS = ['type', 'sections', 'raw', ...FILTER_PARAMETERS] as const;
/** Formats whose files can hold the underlying rows. */
const RAW_TYPES: readonly ExportType[] = ['excel', 'csv'];

function parseType(value: string | undefined): ExportType {
  if (value === undefined) invalid('type', `required; one of ${EXPORT_TYPES.join(', ')}`, EXPORT_TYPES);
  if (!(EXPORT_TYPES as readonly string[]).includes(value)) {
    invalid('type', `invalid value ${JSON.stringify(value)}; expected one of ${EXPORT_TYPES.join(', ')}`, EXPORT_TYPES);
  }
  return value as ExportType;
}

/** `overview,requests` → the sections in the guide's order, each once; absent = all. */
function parseSections(value: string | undefined): Section[] {
  if (value === undefined) return [...SECTIONS];
  const names = value.split(',').map((name) => name.trim());
  const unknown = names.filter((name) => !(SECTIONS as readonly string[]).includes(name));
  if (unknown.length > 0 || names.length === 0) {
    invalid('sections', `unknown section(s) ${unknown.map((name) => JSON.stringify(name)).join(', ')}; expected a comma-separated list of ${SECTIONS.join(', ')}`, SECTIONS);
  }
  return SECTIONS.filter((section) => names.includes(section));
}

export function exportFilters(filters: StatisticsFilters): ExportFilters {
  return {
    period: filters.period,
    from: filters.from?.toISOString() ?? null,
    to: filters.to?.toISOString() ?? null,
    city: filters.city,
    specialty: filters.specialty,
  };
}

/** Back to the statistics filters a computation takes. */
export function statisticsFilters(filters: ExportFilters): StatisticsFilters {
  return {
    period: filters.period,
    from: filters.from === null ? null : new Date(filters.from),
    to: filters.to === null ? null : new Date(filters.to),
    city: filters.city,
    specialty: filters.specialty,
  };
}

function checked(type: ExportType, filters: StatisticsFilters, sections: Section[], raw: boolean): ExportRequest {
  if (raw && !RAW_TYPES.includes(type)) invalid('raw', `the underlying rows can be exported as ${RAW_TYPES.join(' or ')} only, not ${type}`, RAW_TYPES);
  return { type, filters: exportFilters(filters), sections, raw };
}

/** GET export_statistics/?type=&sections=&period=… */
export function parseExportQuery(query: Record<string, unknown>): ExportRequest {
  const filters = parseFilters(query, QUERY_PARAMETERS);
  const type = parseType(single(query, 'type', EXPORT_TYPES));
  const sections = parseSections(single(query, 'sections', SECTIONS));
  return checked(type, filters, sections, false);
}

/** POST exports/ with {type, period?, from?, to?, city?, specialty?, sections?, raw?}. */
export function parseExportBody(body: unknown): ExportRequest {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new BadRequestException({ detail: 'the body must be a JSON object such as {"type": "excel", "period": "30d"}', valid: BODY_FIELDS });
  }
  const fields = body as Record<string, unknown>;
  const unknown = Object.keys(fields).filter((name) => !(BODY_FIELDS as readonly string[]).includes(name));
  if (unknown.length > 0) {
    throw new BadRequestException({ detail: `unknown field(s): ${unknown.join(', ')}; accepted: ${BODY_FIELDS.join(', ')}`, valid: BODY_FIELDS });
  }
  for (const name of [...FILTER_PARAMETERS, 'type'] as const) {
    const value = fields[name];
    if (value !== undefined && value !== null && typeof value !== 'string') invalid(name, 'must be a string', 'a string');
  }
  let sections: string | undefined;
  const rawSections = fields.sections;
  if (Array.isArray(rawSections)) {
    if (!rawSections.every((name) => typeof name === 'string')) invalid('sections', 'must be a list of section names', SECTIONS);
    sections = rawSections.join(',');
  } else if (typeof rawSections === 'string') {
    sections = rawSections;
  } else if (rawSections !== undefined && rawSections !== null) {
    invalid('sections', 'must be a list of section names or a comma-separated string', SECTIONS);
  }
  const raw = fields.raw ?? false;
  if (typeof raw !== 'boolean') invalid('raw', 'must be true or false', ['true', 'false']);
  const filterQuery: Record<string, unknown> = {};
  for (const name of FILTER_PARAMETERS) if (typeof fields[name] === 'string') filterQuery[name] = fields[name];
  const filters = parseFilters(filterQuery);
  return checked(parseType(typeof fields.type === 'string' ? fields.type : undefined), filters, parseSections(sections), raw);
}
