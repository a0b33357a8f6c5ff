// The web dashboard's French text. Numbers, units and days come from the module the exports use
// too (libs/metrics/src/format-fr.ts: "1 234 567 FCFA", "12,5 %", "2 déc. 2026"), so a figure reads
// the same on a tab, in a PDF and in a workbook, never rounded again. Instants here go to the second
// (a live screen says how fresh its numbers are). Pure functions, also used by the browser tests to
// compare pages with the API.
import { formatDateKey, formatDay, formatMonthKey, formatNumberAs, frenchNumber, type NumberFormat } from '../../../../libs/metrics/src/format-fr.js';
import { knownCodeLabel } from '../../../../libs/metrics/src/labels.js';

const clock = new Intl.DateTimeFormat('fr-FR', { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23', timeZone: 'UTC' });

export type ValueKind = NumberFormat;

/** A plain number ("1 234,5"); a value that is not finite (never a figure of the API) as it is, rather than a broken page. */
export const formatNumber = frenchNumber;

export function formatValue(value: number | null, kind: ValueKind): string {
  if (value !== null && !Number.isFinite(value)) return String(value);
  return formatNumberAs(value, kind);
}

/** An ISO-8601 instant (UTC on the wire) as "2 déc. 2026 à 08:15:03 UTC". */
export function formatInstant(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  // Day and clock apart: how Intl joins them ("à" or ",") differs between ICU versions.
  return `${formatDay(date)} à ${clock.format(date)} UTC`;
}

/** A trend bucket key: "2026-12-02" → "2 déc. 2026", "2026-12" → "déc. 2026"; other keys as they are. */
export function formatBucket(key: string): string {
  return formatMonthKey(formatDateKey(key));
}

/** A category a generic view meets, in French: a status, payment method or specialty code by its name, else a day or month key, else the key. */
export function formatCategory(key: string): string {
  return knownCodeLabel(key) ?? formatBucket(key);
}
