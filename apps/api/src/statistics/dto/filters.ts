// Query-string filters of the statistics endpoints (docs/statistics-api.md): validated once, each
// problem a 400 naming the parameter and the accepted values, so a typo never yields a number
// computed over something else than what was asked.
import { BadRequestException } from '@nestjs/common';
import { PERIODS, type Period, type StatisticsFilters, type StatisticsQuery } from '../../../../../libs/metrics/src/types.js';
import { periodQuery } from '../../../../../libs/metrics/src/windows.js';

export const FILTER_PARAMETERS = ['period', 'from', 'to', 'city', 'specialty'] as const;

/** DateTime64 columns hold [1900, 2300): a bound outside cannot be compared faithfully. */
const EARLIEST = Date.UTC(1900, 0, 1);
const LATEST = Date.UTC(2300, 0, 1);

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(Z|[+-]\d{2}:\d{2})$/;

export function invalid(parameter: string, detail: string, valid: readonly string[] | string): never {
  throw new BadRequestException({ detail: `${parameter}: ${detail}`, parameter, valid });
}

/** Rejects query parameters the endpoint does not know, so a typo is not silently ignored. */
export function rejectUnknownParameters(query: Record<string, unknown>, known: readonly string[]): void {
  const unknown = Object.keys(query).filter((name) => !known.includes(name));
  if (unknown.length > 0) {
    throw new BadRequestException({
      detail: `unknown query parameter(s): ${unknown.join(', ')}; accepted: ${known.length ? known.join(', ') : 'none'}`,
      valid: known,
    });
  }
}

/** One non-empty string value, or undefined when absent. */
export function single(query: Record<string, unknown>, name: string, valid: readonly string[] | string): string | undefined {
  const value = query[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') invalid(name, 'given more than once or malformed; give it once', valid);
  if (value.length === 0) invalid(name, 'empty value', valid);
  return value;
}

/** Validates ?period=; absent means 'all'. */
export function parsePeriod(value: unknown): Period {
  if (value === undefined) return 'all';
  if (typeof value === 'string' && (PERIODS as readonly string[]).includes(value)) return value as Period;
  return invalid('period', `invalid value ${JSON.stringify(value)}; expected one of ${PERIODS.join(', ')}`, PERIODS);
}

export const INSTANT_FORMAT = 'an ISO-8601 instant with a zone (2026-11-01T08:00:00Z) or a date (2026-11-01)';

/** A date or an instant; `endOfDay` turns a bare date into the next midnight (an inclusive last day). */
export function parseInstant(name: string, value: string, endOfDay: boolean): Date {
  const date = DATE.exec(value);
  const instant = date ? null : INSTANT.exec(value);
  const parts = date ?? instant;
  if (!parts) invalid(name, `invalid value ${JSON.stringify(value)}; expected ${INSTANT_FORMAT}`, INSTANT_FORMAT);
  const [year, month, day] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  // setUTCFullYear, not Date.UTC: Date.UTC reads years 0–99 as 1900–1999 (0001-01-01 is a date, just out of range).
  const calendar = new Date(0);
  calendar.setUTCFullYear(year, month - 1, day);
  if (calendar.getUTCFullYear() !== year || calendar.getUTCMonth() !== month - 1 || calendar.getUTCDate() !== day) {
    invalid(name, `${JSON.stringify(value)} is not a calendar date`, INSTANT_FORMAT);
  }
  let at: number;
  if (date) {
    at = calendar.getTime() + (endOfDay ? 86_400_000 : 0);
  } else {
    const [hour, minute, second] = [Number(instant![4]), Number(instant![5]), Number(instant![6] ?? 0)];
    if (hour > 23 || minute > 59 || second > 59) invalid(name, `${JSON.stringify(value)} is not a time of day`, INSTANT_FORMAT);
    at = Date.parse(value);
    if (Number.isNaN(at)) invalid(name, `invalid value ${JSON.stringify(value)}; expected ${INSTANT_FORMAT}`, INSTANT_FORMAT);
  }
  // The last day as a bare end date means "to the end of 2299-12-31": the exclusive end 2300-01-01
  // itself is past what the columns hold, so it stops a millisecond before (no instant is lost).
  if (date && endOfDay && at === LATEST) at = LATEST - 1;
  if (at < EARLIEST || at >= LATEST) invalid(name, `${JSON.stringify(value)} is outside 1900-01-01 .. 2299-12-31`, INSTANT_FORMAT);
  return new Date(at);
}

export function parseText(query: Record<string, unknown>, name: string, maxLength: number): string | null {
  const description = `a non-empty exact value of at most ${maxLength} characters`;
  const value = single(query, name, description);
  if (value === undefined) return null;
  if (value.length > maxLength) invalid(name, `longer than ${maxLength} characters`, description);
  // Postgres text cannot hold NUL and no city or specialty has a control character: such a value
  // could only ever match nothing, so it is refused rather than answered with zeros.
  if (/[\u0000-\u001f\u007f]/.test(value)) invalid(name, 'contains a control character', description);
  return value;
}

/** `from` (inclusive) and `to` (exclusive; a bare date includes that day) of a list's query, checked in order. */
export function parseWindow(query: Record<string, unknown>): { from: Date | null; to: Date | null } {
  const fromText = single(query, 'from', INSTANT_FORMAT);
  const toText = single(query, 'to', INSTANT_FORMAT);
  const from = fromText === undefined ? null : parseInstant('from', fromText, false);
  const to = toText === undefined ? null : parseInstant('to', toText, true);
  if (from && to && from >= to) invalid('to', 'must be after from', INSTANT_FORMAT);
  return { from, to };
}

/** The filters as requested: named periods stay unresolved until `now` is fixed. */
export function parseFilters(query: Record<string, unknown>, known: readonly string[] = FILTER_PARAMETERS): StatisticsFilters {
  rejectUnknownParameters(query, known);
  const periodText = single(query, 'period', PERIODS);
  const fromText = single(query, 'from', INSTANT_FORMAT);
  const toText = single(query, 'to', INSTANT_FORMAT);
  const city = parseText(query, 'city', 100);
  const specialty = parseText(query, 'specialty', 50);
  if (periodText !== undefined && (fromText !== undefined || toText !== undefined)) {
    invalid('period', 'give either period or from/to, not both', PERIODS);
  }
  if (fromText === undefined && toText === undefined) {
    return { period: parsePeriod(periodText), from: null, to: null, city, specialty };
  }
  const from = fromText === undefined ? null : parseInstant('from', fromText, false);
  const to = toText === undefined ? null : parseInstant('to', toText, true);
  if (from && to && from >= to) {
    invalid('to', `the window is empty: from (${from.toISOString()}) must be before to (${to.toISOString()})`, INSTANT_FORMAT);
  }
  return { period: 'custom', from, to, city, specialty };
}

/** The computation's inputs: a named period becomes its window measured back from `now`. */
export function resolveFilters(filters: StatisticsFilters, now: Date): StatisticsQuery {
  if (filters.period === 'custom') return { ...filters, now };
  return { ...periodQuery(filters.period, now), city: filters.city, specialty: filters.specialty };
}

/** An integer from 1 to max, or `fallback` when absent; a 400 naming the parameter otherwise. */
export function positiveInteger(query: Record<string, unknown>, name: string, fallback: number, max: number): number {
  const description = `an integer from 1 to ${max}`;
  const text = single(query, name, description);
  if (text === undefined) return fallback;
  if (!/^\d{1,9}$/.test(text) || Number(text) < 1 || Number(text) > max) invalid(name, `invalid value ${JSON.stringify(text)}; expected ${description}`, description);
  return Number(text);
}

export const MAX_PAGE_SIZE = 500;
const DEFAULT_PAGE_SIZE = 50;

/** ?page=&page_size= of the paginated lists (alerts, exports, schedules), and nothing else. */
export function parsePage(query: Record<string, unknown>, known: readonly string[] = ['page', 'page_size']): { page: number; pageSize: number } {
  rejectUnknownParameters(query, known);
  return { page: positiveInteger(query, 'page', 1, 1_000_000), pageSize: positiveInteger(query, 'page_size', DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE) };
}

/** Largest staleness a client may ask for (seconds). */
export const MAX_STALE_LIMIT = 3600;

/**
 * `Cache-Control: max-stale=N` of a statistics request: the client accepts an answer computed up to
 * N seconds ago even if data changed since (RFC 9111; `max-stale` alone means the largest bound).
 * Other directives are ignored; a malformed max-stale is a 400 naming the header. Undefined when absent.
 */
export function parseMaxStale(header: string | string[] | undefined): number | undefined {
  if (header === undefined) return undefined;
  const text = Array.isArray(header) ? header.join(',') : header;
  const directive = text
    .split(',')
    .map((part) => part.trim())
    .find((part) => /^max-stale\b/i.test(part));
  if (directive === undefined) return undefined;
  const match = /^max-stale(?:\s*=\s*"?(\d{1,9})"?)?$/i.exec(directive);
  const valid = `max-stale or max-stale=<seconds 0..${MAX_STALE_LIMIT}>`;
  if (!match) invalid('Cache-Control', `invalid directive ${JSON.stringify(directive)}; expected ${valid}`, valid);
  if (match[1] === undefined) return MAX_STALE_LIMIT;
  return Math.min(Number(match[1]), MAX_STALE_LIMIT);
}
