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

  it('rounds to other numbers of decimals, half away from zero', () => {
    expect(ratio(33n, 8n, 1n, 1)).toBe(4.1); // 4.125
    expect(ratio(17n, 4n, 1n, 1)).toBe(4.3); // 4.25 (a float round-half-even would say 4.2)
    expect(ratio(-17n, 4n, 1n, 1)).toBe(-4.3);
    expect(ratio(7n, 2n, 1n, 0)).toBe(4); // 3.5
    expect(ratio(1n, 3n, 1n, 3)).toBe(0.333);
    expect(ratio(5n, 0n, 1n, 1)).toBe(0);
    expect(percent(1, 16, 1)).toBe(6.3); // 6.25
    expect(percent(1, 3, 1)).toBe(33.3);
    expect(percent(2, 3, 1)).toBe(66.7);
    expect(percent(1, 8, 1)).toBe(12.5);
    expect(percent(3, 0, 1)).toBe(0);
    expect(percent(1, 160)).toBe(0.63); // the default stays 2 decimals
    expect(() => ratio(1n, 2n, 1n, 1.5)).toThrow(/digits/);
  });
});
