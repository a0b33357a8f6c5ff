import { describe, expect, it } from 'vitest';
import { periodStart, trendCalendar } from '../../libs/metrics/src/windows.js';

describe('windows', () => {
  const now = new Date('2026-03-02T10:00:00.123Z');
  it('measures rolling periods back from now', () => {
    expect(periodStart('24h', now).toISOString()).toBe('2026-03-01T10:00:00.123Z');
    expect(periodStart('30d', now).toISOString()).toBe('2026-01-31T10:00:00.123Z');
    expect(periodStart('all', now).toISOString()).toBe('1900-01-01T00:00:00.000Z');
  });

  it('lays out the trend calendar oldest first, week 1 ending today, across a year', () => {
    const calendar = trendCalendar(now);
    expect(calendar.days).toEqual(['2026-02-24', '2026-02-25', '2026-02-26', '2026-02-27', '2026-02-28', '2026-03-01', '2026-03-02']);
    expect(calendar.weeks[0]).toEqual({ key: 'Semaine 1', days: calendar.days });
    expect(calendar.weeks[3]!.days[0]).toBe('2026-02-03');
    expect(calendar.months).toEqual(['2025-10', '2025-11', '2025-12', '2026-01', '2026-02', '2026-03']);
    expect(calendar.since.toISOString()).toBe('2025-10-01T00:00:00.000Z');
  });
});

describe('filter messages (issue 11)', () => {
  it('accepts the documented range ends and names a date outside it as such', async () => {
    const { parseFilters } = await import('../../apps/api/src/statistics/dto/filters.js');
    expect(parseFilters({ to: '2299-12-31' }).to!.toISOString()).toBe('2299-12-31T23:59:59.999Z');
    expect(parseFilters({ from: '1900-01-01' }).from!.toISOString()).toBe('1900-01-01T00:00:00.000Z');
    const detail = (query: Record<string, unknown>): string => {
      try {
        parseFilters(query);
      } catch (error) {
        return (error as { getResponse(): { detail: string } }).getResponse().detail;
      }
      return 'accepted';
    };
    expect(detail({ from: '0001-01-01' })).toMatch(/outside 1900-01-01 \.\. 2299-12-31/);
    expect(detail({ from: '2026-02-30' })).toMatch(/not a calendar date/);
    expect(detail({ to: '2300-01-01' })).toMatch(/outside/);
  });
});
