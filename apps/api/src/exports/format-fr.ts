// Report values as French text: the numbers, units and days as everywhere (libs/metrics/src/format-fr.ts,
// shared with the web dashboard), plus what only the reports say: the periods in words, instants to
// the minute ("2 décembre 2026 à 08:15 UTC"), and a cell by its report format (codes by their names).
import { formatDateKey, formatNumberAs, MISSING_VALUE } from '../../../../libs/metrics/src/format-fr.js';
import { paymentMethodLabel, specialtyLabel, statusLabel } from '../../../../libs/metrics/src/labels.js';
import type { CellValue, ValueFormat } from './report-model.js';

/** The statistics periods in words, as every report says them. */
export const PERIOD_NAMES: Readonly<Record<string, string>> = {
  '24h': 'Dernières 24 heures',
  '7d': '7 derniers jours',
  '30d': '30 derniers jours',
  all: 'Toute la période',
  custom: 'Période personnalisée',
};

const longInstant = new Intl.DateTimeFormat('fr-FR', {
  day: 'numeric',
  month: 'long',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  timeZone: 'UTC',
});

/** An ISO-8601 instant → "2 décembre 2026 à 08:15 UTC"; text that is not an instant is returned as it is. */
export function formatInstant(iso: string): string {
  if (!/^\d{4}-\d{2}-\d{2}T/.test(iso)) return iso;
  // Instants are UTC on the wire; one without a zone is read as UTC, never as the server's local time.
  const date = new Date(/(Z|[+-]\d{2}:?\d{2})$/i.test(iso) ? iso : `${iso}Z`);
  if (Number.isNaN(date.getTime())) return iso;
  return `${longInstant.format(date)} UTC`;
}

/** A cell or figure of the report as French text, by its format. */
export function formatValue(value: CellValue, format: ValueFormat): string {
  if (value === null) return MISSING_VALUE;
  if (typeof value === 'string') {
    if (format === 'date') return formatDateKey(value);
    if (format === 'instant') return formatInstant(value);
    return codeLabel(value, format) ?? value;
  }
  switch (format) {
    case 'text':
    case 'date':
    case 'instant':
    case 'status':
    case 'specialty':
    case 'payment_method':
      return String(value);
    case 'integer':
    case 'decimal':
    case 'xof':
    case 'percent':
    case 'hours':
    case 'rating':
      return formatNumberAs(value, format);
  }
}

/** A stored code's French name when `format` names codes (unknown codes come back as they are); else null. */
export function codeLabel(value: string, format: ValueFormat): string | null {
  switch (format) {
    case 'status':
      return statusLabel(value);
    case 'specialty':
      return specialtyLabel(value);
    case 'payment_method':
      return paymentMethodLabel(value);
    default:
      return null;
  }
}

/** Formats whose values are numbers (right-aligned in tables, plotted in charts). */
export function isNumericFormat(format: ValueFormat): boolean {
  return !['text', 'date', 'instant', 'status', 'specialty', 'payment_method'].includes(format);
}
