// Where export files live and what they are called. Files sit under EXPORT_DIR as
// `<export id>.<ext>` (a name the service makes, never one from a request), written first to a
// temporary name and renamed once complete, so a half-written file is never served. The name a
// user sees (Content-Disposition) says what the file holds: statistiques_depanneteliman_<date>_<period>.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { ExportFilters, ExportType } from '../../../../libs/metrics/src/exports.js';

export const CONTENT_TYPES: Record<string, string> = {
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  pdf: 'application/pdf',
  json: 'application/json; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  zip: 'application/zip',
};

/** Export ids are UUIDs: anything else is not an export (404), and never reaches the file system. */
export const EXPORT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Prefix of files being written; leftovers of a crash are removed by the retention sweep. */
export const TEMP_PREFIX = '.tmp-';

export function temporaryPath(dir: string, exportId: string): string {
  return join(dir, `${TEMP_PREFIX}${exportId}-${randomBytes(4).toString('hex')}`);
}

/** What storedName makes: anything else in EXPORT_DIR is not ours and is never deleted. */
export const STORED_NAME = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.(xlsx|pdf|json|csv|zip)$/;

export function storedName(exportId: string, extension: string): string {
  return `${exportId}.${extension}`;
}

/** ASCII letters, digits and dashes only, so the name needs no quoting or encoding in a header. */
function slug(text: string): string {
  const ascii = text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^A-Za-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .toLowerCase()
    .slice(0, 40);
  return ascii || 'x';
}

/** e.g. statistiques_depanneteliman_2026-11-25_30d.xlsx, …_2026-11-01_2026-11-25_bamako.pdf */
export function downloadName(filters: ExportFilters, generatedAt: Date, extension: string): string {
  const day = (iso: string): string => iso.slice(0, 10);
  const parts = ['statistiques_depanneteliman', day(generatedAt.toISOString())];
  if (filters.period === 'custom') parts.push(`${filters.from ? day(filters.from) : 'debut'}-${filters.to ? day(filters.to) : 'maintenant'}`);
  else parts.push(filters.period);
  if (filters.city !== null) parts.push(slug(filters.city));
  if (filters.specialty !== null) parts.push(slug(filters.specialty));
  return `${parts.join('_')}.${extension}`;
}

export const EXTENSIONS: Record<ExportType, readonly string[]> = {
  excel: ['xlsx'],
  pdf: ['pdf'],
  json: ['json'],
  csv: ['csv', 'zip'],
};
