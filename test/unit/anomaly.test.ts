import { describe, expect, it } from 'vitest';
import { judge, mad, median } from '../../apps/api/src/alerts/anomaly.js';
import { seasonalRanges, compare } from '../../apps/api/src/alerts/alert-findings.js';

const counts = (values: number[]) => values.map((value) => ({ value, basis: value }));

describe('robust statistics', () => {
  it('median and MAD', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(mad([1, 1, 2, 2, 4, 6, 9])).toBe(1);
  });
});

describe('judge', () => {
  const history = counts([10, 12, 9, 11, 10, 13, 10, 11]);

  it('an ordinary hour is not an anomaly; a spike is, with the expected range', () => {
    expect(judge('requests', { value: 14, basis: 14 }, history, 4)!.anomalous).toBe(false);
    const spike = judge('requests', { value: 40, basis: 40 }, history, 4)!;
    expect(spike.anomalous).toBe(true);
    expect(spike.expected).toBe(10.5);
    expect(spike.expectedLow).toBeLessThan(10.5);
    expect(spike.expectedHigh).toBeGreaterThan(14);
    expect(spike.expectedHigh).toBeLessThan(40);
    expect(spike.weeks).toBe(8);
  });

  it('one extreme past week does not widen the range (median/MAD, not mean/sd)', () => {
    const withOutlier = counts([10, 10, 11, 9, 10, 400, 10, 11]);
    expect(judge('requests', { value: 40, basis: 40 }, withOutlier, 4)!.anomalous).toBe(true);
  });

  it('a collapse is an anomaly when the usual volume makes it significant', () => {
    const busy = counts([60, 64, 58, 61, 59, 63, 60, 62]);
    const verdict = judge('requests', { value: 5, basis: 5 }, busy, 4)!;
    expect(verdict.anomalous).toBe(true);
    expect(verdict.expectedLow).toBeGreaterThan(5);
  });

  it('a perfectly regular history does not flag a change of one (counting noise floor)', () => {
    expect(judge('requests', { value: 11, basis: 11 }, counts([10, 10, 10, 10]), 4)!.anomalous).toBe(false);
    expect(judge('failed_logins', { value: 3, basis: 3 }, counts([0, 0, 0, 0]), 4)!.anomalous).toBe(false);
  });

  it('needs three past weeks, and five requests for a failure rate', () => {
    expect(judge('requests', { value: 100, basis: 100 }, counts([1, 1]), 4)).toBeNull();
    expect(judge('failure_rate', { value: 100, basis: 3 }, [{ value: 5, basis: 40 }, { value: 5, basis: 40 }, { value: 5, basis: 40 }], 4)).toBeNull();
    const rate = judge('failure_rate', { value: 60, basis: 40 }, [{ value: 5, basis: 40 }, { value: 7.5, basis: 40 }, { value: 5, basis: 40 }, { value: 2.5, basis: 3 }], 4)!;
    expect(rate.weeks).toBe(3); // the week with 3 requests says nothing about the rate
    expect(rate.anomalous).toBe(true);
    expect(rate.expectedHigh).toBeLessThanOrEqual(100);
  });

  it('revenue: noise scales with the typical payment', () => {
    const revenue = [100_000, 120_000, 90_000, 110_000].map((value) => ({ value, basis: 10 }));
    expect(judge('revenue', { value: 150_000, basis: 13 }, revenue, 4)!.anomalous).toBe(false);
    expect(judge('revenue', { value: 900_000, basis: 70 }, revenue, 4)!.anomalous).toBe(true);
  });

  it('revenue: one ordinary payment in an hour that usually has none is noise; a burst of them is not', () => {
    const quiet = [0, 0, 0, 20_000, 0, 0].map((value) => ({ value, basis: value === 0 ? 0 : 1 }));
    expect(judge('revenue', { value: 25_000, basis: 1 }, quiet, 4)!.anomalous).toBe(false);
    expect(judge('revenue', { value: 250_000, basis: 10 }, quiet, 4)!.anomalous).toBe(true);
    // No payment at all in the past weeks: the hour's own payments give their size.
    const none = [0, 0, 0, 0].map((value) => ({ value, basis: 0 }));
    expect(judge('revenue', { value: 30_000, basis: 1 }, none, 4)!.anomalous).toBe(false);
    expect(judge('revenue', { value: 300_000, basis: 10 }, none, 4)!.anomalous).toBe(true);
    // Two small past payments do not make three ordinary ones an anomaly (sizes pooled with this hour's).
    const twoSmall = [0, 10_000, 0, 0, 0, 0, 12_000, 0].map((value) => ({ value, basis: value === 0 ? 0 : 1 }));
    expect(judge('revenue', { value: 106_500, basis: 3 }, twoSmall, 4)!.anomalous).toBe(false);
  });

  it('small counts: the Poisson range is wider above than the normal curve (a quiet hour reaching 5 is not rare)', () => {
    const quiet = counts([1, 0, 2, 1, 0, 1, 1, 2]);
    expect(judge('requests', { value: 5, basis: 5 }, quiet, 4)!.anomalous).toBe(false);
    expect(judge('requests', { value: 12, basis: 12 }, quiet, 4)!.anomalous).toBe(true);
  });

  it('higher sensitivity numbers mean fewer alerts', () => {
    expect(judge('requests', { value: 22, basis: 22 }, history, 2)!.anomalous).toBe(true);
    expect(judge('requests', { value: 22, basis: 22 }, history, 6)!.anomalous).toBe(false);
  });
});

describe('rule helpers', () => {
  it('compares with each operator', () => {
    expect([compare(10, 'gt', 10), compare(10, 'gte', 10), compare(10, 'lt', 10), compare(10, 'lte', 10)]).toEqual([false, true, false, true]);
  });

  it('seasonal ranges: the last hour and the same hour of each past week', () => {
    const now = new Date('2026-11-25T10:30:00Z');
    const ranges = seasonalRanges(now, 2);
    expect(ranges.map((range) => [range.start.toISOString(), range.end.toISOString()])).toEqual([
      ['2026-11-25T09:30:00.000Z', '2026-11-25T10:30:00.000Z'],
      ['2026-11-18T09:30:00.000Z', '2026-11-18T10:30:00.000Z'],
      ['2026-11-11T09:30:00.000Z', '2026-11-11T10:30:00.000Z'],
    ]);
  });
});
