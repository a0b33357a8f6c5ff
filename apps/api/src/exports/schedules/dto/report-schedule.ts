// Bodies of POST and PATCH on report schedules, validated strictly: an unknown field, a wrong type, a
// cron that does not parse or fires more often than every MIN_INTERVAL_SECONDS, an unknown time
// zone, a malformed e-mail or URL, or a bad export request (the very rules of POST exports/, reused)
// is a ReportScheduleValidationError naming the field (the controller's 400 `{detail, field,
// valid?}`), and nothing is saved. A PATCH gives any subset; the merged schedule is validated as a
// whole, so a schedule can never be left without a recipient or with raw rows in a PDF.
import { BadRequestException } from '@nestjs/common';
import { CronTime } from 'cron';
import type { ExportRequest } from '../../../../../../libs/metrics/src/exports.js';
import { parseExportBody } from '../../dto/export-request.js';
import { InvalidFieldError } from '../../../errors/domain-errors.js';

export const REPORT_SCHEDULE_FIELDS = [
  'name',
  'cron',
  'timezone',
  'type',
  'period',
  'from',
  'to',
  'city',
  'specialty',
  'sections',
  'raw',
  'recipients',
  'webhook_url',
  'enabled',
] as const;

type Field = (typeof REPORT_SCHEDULE_FIELDS)[number];

/** The export request's fields, checked by parseExportBody. */
const EXPORT_FIELDS = ['type', 'period', 'from', 'to', 'city', 'specialty', 'sections', 'raw'] as const;
const WINDOW_FIELDS = ['period', 'from', 'to'] as const;

export const DEFAULT_TIMEZONE = 'Africa/Bamako';
export const NAME_MAX_LENGTH = 200;
export const MAX_RECIPIENTS = 50;
export const URL_MAX_LENGTH = 2048;
/**
 * Schedules fire at most every 5 minutes. Each run renders a whole report (it takes a place in the
 * bounded queue of the one ClickHouse engine, shared with the live numbers) and sends mail: a
 * report every minute is monitoring, which alerts and the live socket rooms do without a file.
 */
export const MIN_INTERVAL_SECONDS = 300;
const CRON_FORMAT = '5 fields (minute hour day-of-month month day-of-week) or 6 (a leading second), e.g. "0 8 * * 1"';

export interface ReportScheduleInput {
  name: string;
  cron: string;
  /** A canonical IANA name. */
  timezone: string;
  request: ExportRequest;
  recipients: string[];
  webhookUrl: string | null;
  enabled: boolean;
}

/** A field of the ReportSchedule that cannot be accepted (400, see InvalidFieldError). */
export class ReportScheduleValidationError extends InvalidFieldError {
  override readonly name = 'ReportScheduleValidationError';
}

function invalid(field: string, problem: string, valid?: readonly (string | number)[] | string): never {
  throw new ReportScheduleValidationError(field, problem, valid);
}

function shown(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'string' ? JSON.stringify(value.slice(0, 100)) : typeof value === 'object' ? 'an object' : String(value);
}

// A reasonable subset of RFC 5322 addr-spec: a dot-atom local part (no quoted strings, no comments)
// and a domain name of letter-digit-hyphen labels ending in an alphabetic (or IDNA xn--) top level
// (no IP literals): what mail servers accept from a form, and nothing that needs quoting in a header.
const ATOM = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+";
const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
const TOP_LABEL = '(?:[A-Za-z]{2,63}|xn--[A-Za-z0-9-]{1,59})';
const EMAIL = new RegExp(`^${ATOM}(?:\\.${ATOM})*@(?:${LABEL}\\.)+${TOP_LABEL}$`);
const EMAIL_FORMAT = 'an address such as ops@depanneteliman.ml (dot-atom local part, domain name; at most 254 characters)';

export function isEmailAddress(value: string): boolean {
  return value.length <= 254 && value.indexOf('@') <= 64 && EMAIL.test(value);
}

/** The canonical IANA name of `value`, or null when neither Intl nor cron knows it. */
export function canonicalTimezone(value: string): string | null {
  // Intl knows IANA names only (no "UTC+5"-style offsets, which the cron library would accept).
  let canonical: string;
  try {
    canonical = new Intl.DateTimeFormat('en-US', { timeZone: value }).resolvedOptions().timeZone;
  } catch {
    return null;
  }
  try {
    new CronTime('0 0 * * *', canonical);
  } catch {
    return null;
  }
  return canonical;
}

function values(text: string, low: number, high: number): number[] {
  if (text === '*') return Array.from({ length: high - low + 1 }, (_, i) => low + i);
  return text
    .split(',')
    .map(Number)
    .sort((a, b) => a - b);
}

/**
 * The shortest wall-clock time between two consecutive firings of `time` (seconds; Infinity when it
 * fires once ever). From the parsed fields rather than by listing firings (a cron that fires every
 * 5 minutes fires 100 000 times a year): the gaps between times of day, and, when two consecutive
 * calendar days both match, the gap from the last time of one day to the first of the next.
 * Daylight-saving shifts are not counted.
 */
export function shortestIntervalSeconds(time: CronTime): number {
  const [second, minute, hour, dayOfMonth, month, dayOfWeek] = time.toJSON() as [string, string, string, string, string, string];
  const seconds = values(second, 0, 59);
  const minutes = values(minute, 0, 59);
  const hours = values(hour, 0, 23);
  const timesOfDay: number[] = [];
  for (const h of hours) for (const m of minutes) for (const s of seconds) timesOfDay.push(h * 3600 + m * 60 + s);
  let shortest = Infinity;
  for (let i = 1; i < timesOfDay.length; i++) shortest = Math.min(shortest, timesOfDay[i]! - timesOfDay[i - 1]!);
  // Days as the cron library matches them: day-of-month OR day-of-week when both are restricted.
  const months = new Set(values(month, 1, 12));
  const days = new Set(values(dayOfMonth, 1, 31));
  const weekdays = new Set(values(dayOfWeek, 0, 6));
  const matches = (at: Date): boolean => {
    if (!months.has(at.getUTCMonth() + 1)) return false;
    const byDay = days.has(at.getUTCDate());
    const byWeekday = weekdays.has(at.getUTCDay());
    if (dayOfMonth !== '*' && dayOfWeek !== '*') return byDay || byWeekday;
    return dayOfMonth !== '*' ? byDay : byWeekday;
  };
  // Eight years hold every calendar pattern (leap days included).
  const start = Date.UTC(new Date().getUTCFullYear(), 0, 1);
  let previous = false;
  for (let day = 0; day < 8 * 366; day++) {
    const current = matches(new Date(start + day * 86_400_000));
    if (current && previous) {
      shortest = Math.min(shortest, 86_400 - timesOfDay[timesOfDay.length - 1]! + timesOfDay[0]!);
      break;
    }
    previous = current;
  }
  return shortest;
}

/** A parsed cron in its zone; throws ReportScheduleValidationError on `cron`. */
export function parseCron(value: unknown, timezone: string): { cron: string; time: CronTime } {
  if (typeof value !== 'string') invalid('cron', `expected ${CRON_FORMAT}, got ${shown(value)}`, CRON_FORMAT);
  const fields = value.trim().split(/\s+/);
  if (fields.length !== 5 && fields.length !== 6) {
    invalid('cron', `expected 5 or 6 fields separated by spaces, got ${fields[0] === '' ? 0 : fields.length} in ${shown(value)}`, CRON_FORMAT);
  }
  // Digits, names (mon, jan), * / , - only: no @daily presets, no ? L W # extensions.
  const odd = fields.find((field) => !/^[0-9A-Za-z*/,-]+$/.test(field));
  if (odd !== undefined) invalid('cron', `field ${JSON.stringify(odd)} holds characters other than digits, names, * / , -`, CRON_FORMAT);
  const cron = fields.join(' ');
  let time: CronTime;
  try {
    time = new CronTime(cron, timezone);
    time.sendAt();
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0]! : String(error);
    if (/No execution date/.test(reason)) invalid('cron', `${JSON.stringify(cron)} never fires (no date matches in the next 8 years)`, CRON_FORMAT);
    invalid('cron', `${JSON.stringify(cron)} does not parse: ${reason}`, CRON_FORMAT);
  }
  const interval = shortestIntervalSeconds(time);
  if (interval < MIN_INTERVAL_SECONDS) {
    invalid('cron', `${JSON.stringify(cron)} fires ${interval} s apart at times; a report is sent at most every ${MIN_INTERVAL_SECONDS / 60} minutes`, CRON_FORMAT);
  }
  return { cron, time };
}

function parseName(value: unknown): string {
  const expected = `a non-blank text of at most ${NAME_MAX_LENGTH} characters`;
  if (typeof value !== 'string' || value.trim().length === 0) invalid('name', `expected ${expected}, got ${shown(value)}`, expected);
  if (value.length > NAME_MAX_LENGTH) invalid('name', `longer than ${NAME_MAX_LENGTH} characters`, expected);
  // The name is the mail's subject: no line breaks or other control characters.
  if (/[\u0000-\u001f\u007f]/.test(value)) invalid('name', 'holds a line break or another control character', expected);
  return value.trim();
}

function parseTimezone(value: unknown): string {
  const expected = `an IANA time zone name such as ${DEFAULT_TIMEZONE} or Europe/Paris`;
  if (value === undefined || value === null) return DEFAULT_TIMEZONE;
  if (typeof value !== 'string' || value.length === 0 || value.length > 64) invalid('timezone', `expected ${expected}, got ${shown(value)}`, expected);
  return canonicalTimezone(value) ?? invalid('timezone', `unknown time zone ${shown(value)}; expected ${expected}`, expected);
}

function parseRecipients(value: unknown): string[] {
  const expected = `a list of at most ${MAX_RECIPIENTS} e-mail addresses`;
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) invalid('recipients', `expected ${expected}, got ${shown(value)}`, expected);
  if (value.length > MAX_RECIPIENTS) invalid('recipients', `${value.length} addresses; at most ${MAX_RECIPIENTS}`, expected);
  const seen = new Set<string>();
  return value.map((address: unknown, index) => {
    if (typeof address !== 'string' || !isEmailAddress(address.trim())) {
      invalid('recipients', `recipients[${index}] ${shown(address)} is not an e-mail address; expected ${EMAIL_FORMAT}`, EMAIL_FORMAT);
    }
    const trimmed = address.trim();
    if (seen.has(trimmed.toLowerCase())) invalid('recipients', `recipients[${index}] ${shown(trimmed)} is given twice`, expected);
    seen.add(trimmed.toLowerCase());
    return trimmed;
  });
}

function parseWebhookUrl(value: unknown): string | null {
  const expected = `an http or https URL of at most ${URL_MAX_LENGTH} characters`;
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || value.length === 0 || value.length > URL_MAX_LENGTH) invalid('webhook_url', `expected ${expected}, got ${shown(value)}`, expected);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return invalid('webhook_url', `${shown(value)} is not a URL; expected ${expected}`, expected);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') invalid('webhook_url', `${url.protocol} URLs are not accepted; expected ${expected}`, ['http', 'https']);
  return value;
}

/** parseExportBody's 400 (`{detail, parameter?, valid}`), as this DTO's error naming the field. */
function exportRequest(fields: Record<string, unknown>): ExportRequest {
  const body: Record<string, unknown> = {};
  for (const name of EXPORT_FIELDS) if (fields[name] !== undefined) body[name] = fields[name];
  try {
    return parseExportBody(body);
  } catch (error) {
    if (!(error instanceof BadRequestException)) throw error;
    const answer = error.getResponse() as { detail?: string; parameter?: string; valid?: readonly string[] | string };
    const detail = answer.detail ?? error.message;
    // The filters' detail already starts with "<parameter>: ".
    const field = answer.parameter ?? 'body';
    throw new ReportScheduleValidationError(field, detail.startsWith(`${field}: `) ? detail.slice(field.length + 2) : detail, answer.valid);
  }
}

/** The body as an object of known fields. */
function knownFields(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    invalid('body', `expected a JSON object of report schedule fields, got ${shown(body)}`, REPORT_SCHEDULE_FIELDS);
  }
  const unknown = Object.keys(body).filter((key) => !(REPORT_SCHEDULE_FIELDS as readonly string[]).includes(key));
  if (unknown.length > 0) invalid(unknown[0]!, `unknown field(s) ${unknown.join(', ')}; accepted: ${REPORT_SCHEDULE_FIELDS.join(', ')}`, REPORT_SCHEDULE_FIELDS);
  return body as Record<string, unknown>;
}

/** Every field checked, in the order a form shows them; absent ones take their defaults. */
function buildInput(fields: Record<string, unknown>): ReportScheduleInput {
  if (fields.name === undefined) invalid('name', 'required');
  const name = parseName(fields.name);
  const timezone = parseTimezone(fields.timezone);
  if (fields.cron === undefined) invalid('cron', 'required', CRON_FORMAT);
  const { cron } = parseCron(fields.cron, timezone);
  const request = exportRequest(fields);
  const recipients = parseRecipients(fields.recipients);
  const webhookUrl = parseWebhookUrl(fields.webhook_url);
  const enabled = fields.enabled === undefined ? true : fields.enabled;
  if (typeof enabled !== 'boolean') invalid('enabled', `expected true or false, got ${shown(enabled)}`, 'true or false');
  if (recipients.length === 0 && webhookUrl === null) {
    invalid('recipients', 'a report goes somewhere: give at least one recipient or a webhook_url', `a list of at most ${MAX_RECIPIENTS} e-mail addresses`);
  }
  return { name, cron, timezone, request, recipients, webhookUrl, enabled };
}

/** POST body → a valid schedule. */
export function parseReportScheduleInput(body: unknown): ReportScheduleInput {
  return buildInput(knownFields(body));
}

export type ReportSchedulePatch = Partial<Record<Field, unknown>>;

/** PATCH body → its fields (known names only; values are checked against the schedule by applyReportSchedulePatch). */
export function parseReportSchedulePatch(body: unknown): ReportSchedulePatch {
  return knownFields(body) as ReportSchedulePatch;
}

/** The schedule as the fields of a POST body. */
export function scheduleFields(current: ReportScheduleInput): Record<string, unknown> {
  const { filters } = current.request;
  return {
    name: current.name,
    cron: current.cron,
    timezone: current.timezone,
    type: current.request.type,
    ...(filters.period === 'custom' ? { from: filters.from ?? undefined, to: filters.to ?? undefined } : { period: filters.period }),
    city: filters.city,
    specialty: filters.specialty,
    sections: current.request.sections,
    raw: current.request.raw,
    recipients: current.recipients,
    webhook_url: current.webhookUrl,
    enabled: current.enabled,
  };
}

/**
 * The schedule after `patch`, validated as a whole. A new `period` replaces a custom window and a
 * new `from` or `to` replaces a named period (the other bound is kept); null clears a field.
 */
export function applyReportSchedulePatch(current: ReportScheduleInput, patch: ReportSchedulePatch): ReportScheduleInput {
  const merged = scheduleFields(current);
  const given = (field: Field): boolean => patch[field] !== undefined && patch[field] !== null;
  if (given('period')) {
    delete merged.from;
    delete merged.to;
  }
  if (given('from') || given('to')) delete merged.period;
  for (const field of REPORT_SCHEDULE_FIELDS) {
    if (!(field in patch)) continue;
    if (patch[field] === null && (WINDOW_FIELDS as readonly string[]).includes(field)) delete merged[field];
    else merged[field] = patch[field];
  }
  return buildInput(merged);
}
