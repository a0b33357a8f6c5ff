import { describe, expect, it } from 'vitest';
import { staleVerdict } from '../../apps/api/src/cache/bounded-staleness.js';

describe('bounded staleness', () => {
  it('serves within the bound, refreshes from half of it, refuses beyond it or without one', () => {
    expect(staleVerdict(0, 10_000)).toBe('serve');
    expect(staleVerdict(4_999, 10_000)).toBe('serve');
    expect(staleVerdict(5_000, 10_000)).toBe('serve-and-refresh');
    expect(staleVerdict(10_000, 10_000)).toBe('serve-and-refresh');
    expect(staleVerdict(10_001, 10_000)).toBe('too-old');
    expect(staleVerdict(Number.POSITIVE_INFINITY, 10_000)).toBe('too-old');
    expect(staleVerdict(Number.NaN, 10_000)).toBe('too-old');
    expect(staleVerdict(0, 0)).toBe('too-old');
  });
});
