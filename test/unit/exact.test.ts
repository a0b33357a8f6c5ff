import { describe, expect, it } from 'vitest';
import { meanHours, meanMoney, money, percent, ratio, toCents } from '../../libs/metrics/src/exact.js';

describe('exact arithmetic', () => {
  it('parses decimals into hundredths', () => {
    expect(toCents('1499999.99')).toBe(149999999n);
    expect(toCents('-0.5')).toBe(-50n);
    expect(toCents('12')).toBe(1200n);
    expect(toCents('3.100')).toBe(310n);
    expect(() => toCents('1.005')).toThrow(/2 places/);
    expect(() => toCents('abc')).toThrow();
  });

  it('rounds half away from zero, once', () => {
    expect(ratio(33n, 8n)).toBe(4.13); // 4.125
    expect(ratio(5n, 8n)).toBe(0.63); // 0.625
    expect(ratio(-5n, 8n)).toBe(-0.63);
    expect(ratio(1n, 3n)).toBe(0.33);
    expect(ratio(2n, 3n)).toBe(0.67);
    expect(ratio(7n, 0n)).toBe(0);
  });

  it('computes percentages and means exactly where floats fail', () => {
    expect(percent(1, 160)).toBe(0.63); // 0.625
    expect(percent(159, 160)).toBe(99.38); // 99.375, not 100 - 0.63
    expect(meanMoney(toCents('20000.01'), 2)).toBe(10000.01); // 10000.005 → .01
    expect(meanHours(3_618_000_000n, 1)).toBe(1.01); // 1.005 h
    expect(money('1499999.99')).toBe(1499999.99);
  });
});
