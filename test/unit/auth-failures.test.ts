// The per-address window of refused credentials: the limit, the seconds left, the end of the
// minute, and memory bounded under a spray of addresses.
import { describe, expect, it } from 'vitest';
import { AuthFailureLimiter } from '../../apps/api/src/auth/auth-failures.js';
import { loadConfig } from '../../libs/config/src/config.js';

const T0 = Date.parse('2026-12-01T08:00:00.000Z');

describe('AuthFailureLimiter', () => {
  it('limits an address once it reached AUTH_FAILURE_LIMIT within its minute, until the minute ends', () => {
    const limiter = new AuthFailureLimiter(loadConfig({ AUTH_FAILURE_LIMIT: '2' }));
    expect(limiter.retryAfterSeconds('10.0.0.1', T0)).toBeNull();
    limiter.recordFailure('10.0.0.1', T0);
    expect(limiter.retryAfterSeconds('10.0.0.1', T0 + 1000)).toBeNull();
    limiter.recordFailure('10.0.0.1', T0 + 1000);
    expect(limiter.retryAfterSeconds('10.0.0.1', T0 + 1500)).toBe(59);
    expect(limiter.retryAfterSeconds('10.0.0.1', T0 + 59_999)).toBe(1);
    expect(limiter.retryAfterSeconds('10.0.0.2', T0 + 1500)).toBeNull();
    // A new minute starts afresh.
    expect(limiter.retryAfterSeconds('10.0.0.1', T0 + 60_000)).toBeNull();
    limiter.recordFailure('10.0.0.1', T0 + 60_000);
    expect(limiter.retryAfterSeconds('10.0.0.1', T0 + 60_001)).toBeNull();
    expect(limiter.status()).toEqual({ tracked_clients: 1, refused_requests: 2 });
  });

  it('keeps at most 100 000 addresses, forgetting expired windows first, then the oldest', () => {
    const limiter = new AuthFailureLimiter(loadConfig({ AUTH_FAILURE_LIMIT: '1' }));
    for (let i = 0; i < 100_000; i++) limiter.recordFailure(`a${i}`, T0);
    expect(limiter.status().tracked_clients).toBe(100_000);
    limiter.recordFailure('late', T0 + 61_000);
    expect(limiter.status().tracked_clients).toBe(1);
    for (let i = 0; i < 99_999; i++) limiter.recordFailure(`b${i}`, T0 + 61_000);
    limiter.recordFailure('newest', T0 + 61_001);
    expect(limiter.status().tracked_clients).toBe(100_000);
    // Full with live windows: the oldest ('late') made room for the newest.
    expect(limiter.retryAfterSeconds('late', T0 + 61_002)).toBeNull();
    expect(limiter.retryAfterSeconds('newest', T0 + 61_002)).toBe(60);
  });
});
