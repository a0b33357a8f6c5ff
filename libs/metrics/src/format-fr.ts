// How every screen and report writes a value in French (fr-FR, as the guide): "1 234 567 FCFA",
// "12,5 %", "3,75 h", "4,2 / 5", "2 déc. 2026". One module for the web dashboard and the exports, so
// a figure reads the same on a tab, in a PDF and in a workbook. Numbers are shown as they are (the
// API's values are already exact to 2 decimals, see exact.ts): nothing is rounded again here, except
// a value with more than 2 decimals, which is rounded once, half away from zero, by exact.ts (never
// by Intl or binary float arithmetic). Pure functions: the browser tests compare pages with them.
import { ratio, toCents } from './exact.js';

/** Narrow no-break space: the fr-FR thousands separator (Intl's), also before "%". */
export const NARROW_NBSP = '\u202f';
/** No-break space: between a number and its unit, so "1 234 FCFA" never wraps. */
export const NBSP = '\u00a0';
/** Shown for a value the statistics do not have (null), e.g. the acquisition cost without a configured spend. */
export const MISSING_VALUE = '—';

const groupedInteger = new Intl.NumberFormat('fr-FR', { useGrouping: true, maximumFractionDigits: 0 });
const shortDate = new Intl.DateTimeFormat('fr-FR', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });

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

/**
 * In the texts written for people (alert messages, rule names, labels of a page): as formatNumberFr;
 * a value that is not finite (never a figure of the statistics) as it is rather than an error.
 */
export function frenchNumber(value: number): string {
  return Number.isFinite(value) ? formatNumberFr(value) : String(value);
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

/** The UTC day of an instant: "2 déc. 2026". */
export function formatDay(date: Date): string {
  return shortDate.format(date);
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
  return formatDay(date);
}

const monthYear = new Intl.DateTimeFormat('fr-FR', { month: 'short', year: 'numeric', timeZone: 'UTC' });

/** A month key "YYYY-MM" → "déc. 2026"; anything else is returned as it is. */
export function formatMonthKey(key: string): string {
  const match = /^(\d{4})-(\d{2})$/.exec(key);
  if (!match || Number(match[2]) < 1 || Number(match[2]) > 12) return key;
  return monthYear.format(new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, 1)));
}

/** The formats whose values are numbers. */
export type NumberFormat = 'integer' | 'decimal' | 'xof' | 'percent' | 'hours' | 'rating';

/** A number in its format; null (a figure the statistics do not have) as MISSING_VALUE. */
export function formatNumberAs(value: number | null, format: NumberFormat): string {
  if (value === null) return MISSING_VALUE;
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
  }
}
