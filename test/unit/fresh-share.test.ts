// FreshShare: requests arriving during a computation share the next one, which starts after it.
import { describe, expect, it } from 'vitest';
import { FreshShare } from '../../apps/api/src/statistics/fresh-share.js';

describe('FreshShare', () => {
  it('runs at once when idle; later arrivals share one computation started after the running one', async () => {
    const share = new FreshShare<number>();
    const starts: number[] = [];
    let release!: () => void;
    let calls = 0;
    const compute = (): Promise<number> => {
      calls++;
      const n = calls;
      starts.push(n);
      return n === 1 ? new Promise((resolve) => (release = () => resolve(n))) : Promise.resolve(n);
    };
    const first = share.run('k', compute);
    const later = [share.run('k', compute), share.run('k', compute), share.run('k', compute)];
    const other = share.run('other', compute);
    expect(starts).toEqual([1, 2]);
    release();
    expect(await first).toBe(1);
    expect(await Promise.all(later)).toEqual([3, 3, 3]);
    expect(await other).toBe(2);
    expect(calls).toBe(3);
    // Idle again: the next request computes at once.
    expect(await share.run('k', compute)).toBe(4);
  });

  it('a failed computation does not stop the next one', async () => {
    const share = new FreshShare<string>();
    let fail!: (error: Error) => void;
    const first = share.run('k', () => new Promise((_, reject) => (fail = reject)));
    const next = share.run('k', async () => 'fresh');
    fail(new Error('engine busy'));
    await expect(first).rejects.toThrow('engine busy');
    expect(await next).toBe('fresh');
  });
});
