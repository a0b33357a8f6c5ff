// Report values as French text (fr-FR, as the guide): "1 234 567 FCFA", "12,5 %", "3,75 h",
// "4,2 / 5", "2 déc. 2026", "2 décembre 2026 à 08:15 UTC". Shared by the PDF and the Excel labels so
// a value reads the same in every export. Numbers are shown as they are (the model's values are
// already exact to 2 decimals, see libs/metrics/src/exact.ts): nothing is rounded again here, except
// a value with more than 2 decimals, which is rounded once, half away from zero, by exact.ts.
import { ratio, toCents } from '../../../../libs/metrics/src/exact.js';
import { paymentMethodLabel, specialtyLabel, statusLabel } from '../../../../libs/metrics/src/labels.js';
import type { CellValue, ValueFormat } from './report-model.js';

/** Narrow no-break space: the fr-FR thousands separator (Intl's), also before "%". */
export const NARROW_NBSP = '\u202f';
/** No-break space: between a number and its unit, so "1 234 FCFA" never wraps. */
export const NBSP = '\u00a0';
/** Shown for a value the statistics do not have (null), e.g. the acquisition cost without a configured spend. */
export const MISSING_VALUE = '—';

/** The statistics periods in words, as every report says them. */
export const PERIOD_NAMES: Readonly<Record<string, string>> = {
  '24h': 'Dernières 24 heures',
  '7d': '7 derniers jours',
  '30d': '30 derniers jours',
  all: 'Toute la période',
  custom: 'Période personnalisée',
};

const groupedInteger = new Intl.NumberFormat('fr-FR', { useGrouping: true, maximumFractionDigits: 0 });
const shortDate = new Intl.DateTimeFormat('fr-FR', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });
const longInstant = new Intl.DateTimeFormat('fr-FR', {
  day: 'numeric',
  month: 'long',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  timeZone: 'UTC',
});

/**
 * A number as an exact count of hundredths. Its shortest decimal text is the value the model holds
 * (exact.ts produced it), so up to 2 decimals are taken as they are; more are rounded once, half away
 * from zero, by exact.ts' ratio: never by binary float arithmetic.
 */
export function hundredths(value: number): bigint {
  if (!Number.isFinite(value)) throw new Error(`not a finite number: ${value}`);
  const text = String(value);
  const plain = /^-?\d+(\.\d{1,2})?$/.test(text);
  if (plain) return toCents(text);
  const match = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(text);
  if (!match) throw new Error(`unexpected number text: ${text}`);
  const [, sign, whole, fraction = '', exponentText = '0'] = match;
  // value = digits × 10^(exponent − fraction length)
  const digits = BigInt(`${whole}${fraction}`) * (sign === '-' ? -1n : 1n);
  const scale = Number(exponentText) - fraction.length;
  if (scale >= 0) return digits * 10n ** BigInt(scale + 2); // 1e+21: a whole number, exact
  return toCents(String(ratio(digits, 10n ** BigInt(-scale))));
}

/**
 * Hundredths in French: grouped thousands, comma decimals. `fraction`: 'money' shows 2 decimals
 * unless they are zero (1 234 567 / 1 234 567,50), 'trim' drops trailing zeros (12,5).
 */
function frenchDecimal(cents: bigint, fraction: 'money' | 'trim'): string {
  const negative = cents < 0n;
  const magnitude = negative ? -cents : cents;
  const whole = groupedInteger.format(magnitude / 100n);
  const decimals = (magnitude % 100n).toString().padStart(2, '0');
  const shown = decimals === '00' ? '' : fraction === 'money' ? decimals : decimals.replace(/0+$/, '');
  return `${negative ? '-' : ''}${whole}${shown ? `,${shown}` : ''}`;
}

/** 1234567 → "1 234 567", 1234.5 → "1 234,5" (up to 2 decimals, as the value has them). */
export function formatNumberFr(value: number): string {
  return frenchDecimal(hundredths(value), 'trim');
}

/** 1234567 → "1 234 567 FCFA", 1234567.5 → "1 234 567,50 FCFA". */
export function formatXof(value: number): string {
  return `${frenchDecimal(hundredths(value), 'money')}${NBSP}FCFA`;
}

/** 12.5 (already a percentage, 0..100) → "12,5 %". */
export function formatPercent(value: number): string {
  return `${formatNumberFr(value)}${NARROW_NBSP}%`;
}

/** 3.75 → "3,75 h". */
export function formatHours(value: number): string {
  return `${formatNumberFr(value)}${NBSP}h`;
}

/** 4.2 → "4,2 / 5" (ratings are out of 5). */
export function formatRating(value: number): string {
  return `${formatNumberFr(value)}${NBSP}/${NBSP}5`;
}

/**
 * A calendar-day key "YYYY-MM-DD" → "2 déc. 2026". Other keys ("Semaine 1", "2026-11", a status)
 * are labels already and are returned as they are.
 */
export function formatDateKey(key: string): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(key);
  if (!match) return key;
  const date = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
  // 2026-02-30 would roll over to March: not a date, keep the key.
  if (date.toISOString().slice(0, 10) !== key) return key;
  return shortDate.format(date);
}

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
    case 'xof':
      return formatXof(value);
    case 'percent':
      return formatPercent(value);
    case 'hours':
      return formatHours(value);
    case 'rating':
      return formatRating(value);
    case 'integer':
    case 'decimal':
      // An "integer" that has decimals is shown with them: a renderer never rounds a figure.
      return formatNumberFr(value);
    case 'text':
    case 'date':
    case 'instant':
    case 'status':
    case 'specialty':
    case 'payment_method':
      return String(value);
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
