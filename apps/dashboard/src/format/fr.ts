// Numbers, money and instants as a French reader expects them (Intl, fr-FR): "1 234 567", "12,5 %",
// "1 234 567 F CFA", "2 déc. 2026 à 08:15:03 UTC". The API's values are already exact to 2 decimals
// (libs/metrics/src/exact.ts): they are shown as they are, never rounded again (at most 2 decimals
// is what they have). Pure functions, also used by the browser tests to compare with the API.

const decimal = new Intl.NumberFormat('fr-FR', { maximumFractionDigits: 2 });
// XOF has no minor unit in ICU (0 decimals by default): a mean price of 1 234,5 keeps its ,5.
const xof = new Intl.NumberFormat('fr-FR', { style: 'currency', currency: 'XOF', minimumFractionDigits: 0, maximumFractionDigits: 2 });
const day = new Intl.DateTimeFormat('fr-FR', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });
const clock = new Intl.DateTimeFormat('fr-FR', { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23', timeZone: 'UTC' });
const month = new Intl.DateTimeFormat('fr-FR', { month: 'short', year: 'numeric', timeZone: 'UTC' });

export type ValueKind = 'integer' | 'decimal' | 'xof' | 'percent' | 'hours' | 'rating';

export function formatNumber(value: number): string {
  return decimal.format(value);
}

export function formatXof(value: number): string {
  return xof.format(value);
}

export function formatValue(value: number | null, kind: ValueKind): string {
  if (value === null) return '—';
  switch (kind) {
    case 'integer':
    case 'decimal':
      return formatNumber(value);
    case 'xof':
      return formatXof(value);
    case 'percent':
      return `${formatNumber(value)}\u202f%`;
    case 'hours':
      return `${formatNumber(value)}\u00a0h`;
    case 'rating':
      return `${formatNumber(value)}\u00a0/\u00a05`;
  }
}

/** An ISO-8601 instant (UTC on the wire) as "2 déc. 2026 à 08:15:03 UTC". */
export function formatInstant(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  // Day and clock apart: how Intl joins them ("à" or ",") differs between ICU versions.
  return `${day.format(date)} à ${clock.format(date)} UTC`;
}

/** A trend bucket key: "2026-12-02" → "2 déc. 2026", "2026-12" → "déc. 2026"; other keys as they are. */
export function formatBucket(key: string): string {
  if (/^\d{4}-\d{2}-\d{2}$/.test(key)) {
    const date = new Date(`${key}T00:00:00Z`);
    return Number.isNaN(date.getTime()) ? key : day.format(date);
  }
  if (/^\d{4}-\d{2}$/.test(key)) {
    const date = new Date(`${key}-01T00:00:00Z`);
    return Number.isNaN(date.getTime()) ? key : month.format(date);
  }
  return key;
}
