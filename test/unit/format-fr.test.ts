import { describe, expect, it } from 'vitest';
import { formatInstant, formatValue, isNumericFormat } from '../../apps/api/src/exports/format-fr.js';
import {
  formatDateKey,
  formatHours,
  formatMonthKey,
  formatNumberFr,
  formatPercent,
  formatRating,
  formatXof,
  hundredths,
  MISSING_VALUE,
  NARROW_NBSP as N,
  NBSP as S,
} from '../../libs/metrics/src/format-fr.js';

describe('French report values', () => {
  it('groups thousands with narrow no-break spaces and uses a decimal comma', () => {
    expect(formatNumberFr(1_234_567)).toBe(`1${N}234${N}567`);
    expect(formatNumberFr(1234.5)).toBe(`1${N}234,5`);
    expect(formatNumberFr(999)).toBe('999');
    expect(formatNumberFr(0)).toBe('0');
    expect(formatNumberFr(-1_234.05)).toBe(`-1${N}234,05`);
    expect(formatNumberFr(-0.5)).toBe('-0,5');
    expect(formatNumberFr(12_345_678_901.25)).toBe(`12${N}345${N}678${N}901,25`);
  });

  it('prints FCFA amounts with 2 decimals only when they are not zero', () => {
    expect(formatXof(1_234_567)).toBe(`1${N}234${N}567${S}FCFA`);
    expect(formatXof(1_234_567.5)).toBe(`1${N}234${N}567,50${S}FCFA`);
    expect(formatXof(1_499_999.99)).toBe(`1${N}499${N}999,99${S}FCFA`);
    expect(formatXof(0.07)).toBe(`0,07${S}FCFA`);
    expect(formatXof(-2500)).toBe(`-2${N}500${S}FCFA`);
  });

  it('never rounds a value that already has 2 decimals, and rounds more once, half away from zero', () => {
    // Float traps: the shortest decimal text is the value, not its binary neighbour.
    expect(hundredths(1_499_999.99)).toBe(149_999_999n);
    expect(hundredths(0.1 + 0.2)).toBe(30n); // 0.30000000000000004
    expect(hundredths(1.005)).toBe(101n); // 1.00499999999999989... in binary
    expect(hundredths(2.675)).toBe(268n);
    expect(hundredths(-2.675)).toBe(-268n);
    expect(hundredths(1e-7)).toBe(0n);
    expect(hundredths(1e21)).toBe(10n ** 23n);
    expect(() => hundredths(Number.NaN)).toThrow(/finite/);
    expect(() => hundredths(Number.POSITIVE_INFINITY)).toThrow(/finite/);
  });

  it('prints percentages, hours and ratings with their French units', () => {
    expect(formatPercent(12.5)).toBe(`12,5${N}%`);
    expect(formatPercent(100)).toBe(`100${N}%`);
    expect(formatPercent(78.91)).toBe(`78,91${N}%`);
    expect(formatPercent(12.5)).not.toContain('.');
    expect(formatHours(3.75)).toBe(`3,75${S}h`);
    expect(formatHours(26.4)).toBe(`26,4${S}h`);
    expect(formatRating(4.2)).toBe(`4,2${S}/${S}5`);
    expect(formatRating(5)).toBe(`5${S}/${S}5`);
  });

  it('turns calendar-day keys into short French dates and keeps other keys', () => {
    expect(formatDateKey('2026-12-02')).toBe('2 déc. 2026');
    expect(formatDateKey('2026-08-04')).toBe('4 août 2026');
    expect(formatDateKey('2026-02-01')).toBe('1 févr. 2026');
    expect(formatDateKey('2026-11')).toBe('2026-11');
    expect(formatDateKey('Semaine 1')).toBe('Semaine 1');
    expect(formatDateKey('2026-02-30')).toBe('2026-02-30');
    expect(formatMonthKey('2026-12')).toBe('déc. 2026');
    expect(formatMonthKey('2026-13')).toBe('2026-13');
    expect(formatMonthKey('2026-12-02')).toBe('2026-12-02');
  });

  it('prints instants in words, in UTC', () => {
    expect(formatInstant('2026-12-02T08:15:00.000Z')).toBe('2 décembre 2026 à 08:15 UTC');
    // 23:30 in Bamako is 23:30 UTC; a +01:00 offset is converted, not copied.
    expect(formatInstant('2026-12-02T00:30:00+01:00')).toBe('1 décembre 2026 à 23:30 UTC');
    expect(formatInstant('2026-12-02T08:15:00')).toBe('2 décembre 2026 à 08:15 UTC');
    expect(formatInstant('hier')).toBe('hier');
  });

  it('formats any cell by its format', () => {
    expect(formatValue(1_234_567, 'xof')).toBe(`1${N}234${N}567${S}FCFA`);
    expect(formatValue(12.5, 'percent')).toBe(`12,5${N}%`);
    expect(formatValue(3.75, 'hours')).toBe(`3,75${S}h`);
    expect(formatValue(4.2, 'rating')).toBe(`4,2${S}/${S}5`);
    expect(formatValue(18_432, 'integer')).toBe(`18${N}432`);
    // A renderer never rounds: an "integer" with decimals shows them.
    expect(formatValue(13.34, 'integer')).toBe('13,34');
    expect(formatValue(13.3, 'decimal')).toBe('13,3');
    expect(formatValue('Ségou', 'text')).toBe('Ségou');
    expect(formatValue('<script>alert(1)</script>', 'text')).toBe('<script>alert(1)</script>');
    expect(formatValue('2026-12-02', 'date')).toBe('2 déc. 2026');
    expect(formatValue('Semaine 1', 'date')).toBe('Semaine 1');
    expect(formatValue('2026-12-02T08:15:00Z', 'instant')).toBe('2 décembre 2026 à 08:15 UTC');
    expect(formatValue(null, 'xof')).toBe(MISSING_VALUE);
    expect(formatValue('non calculé', 'xof')).toBe('non calculé');
    expect(formatValue(42, 'text')).toBe('42');
  });

  it('knows which formats are numbers', () => {
    expect(['integer', 'xof', 'percent', 'hours', 'rating', 'decimal'].every((format) => isNumericFormat(format as never))).toBe(true);
    expect(['text', 'date', 'instant'].some((format) => isNumericFormat(format as never))).toBe(false);
  });
});
