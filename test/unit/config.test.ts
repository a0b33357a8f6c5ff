import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../libs/config/src/config.js';

describe('cache configuration', () => {
  it('defaults to a one-hour TTL, cache on, no REDIS_URL', () => {
    const config = loadConfig({});
    expect(config.statisticsCacheTtlSeconds).toBe(3600);
    expect(config.cacheEnabled).toBe(true);
    expect(config.redisUrl).toBeUndefined();
  });

  it('reads CACHE_ENABLED as true/false/1/0, any case', () => {
    expect(loadConfig({ CACHE_ENABLED: 'false' }).cacheEnabled).toBe(false);
    expect(loadConfig({ CACHE_ENABLED: '0' }).cacheEnabled).toBe(false);
    expect(loadConfig({ CACHE_ENABLED: 'TRUE' }).cacheEnabled).toBe(true);
    expect(loadConfig({ CACHE_ENABLED: '1' }).cacheEnabled).toBe(true);
  });

  it('rejects a bad CACHE_ENABLED, TTL or REDIS_URL naming the variable', () => {
    expect(() => loadConfig({ CACHE_ENABLED: 'yes' })).toThrow(ConfigError);
    expect(() => loadConfig({ CACHE_ENABLED: 'yes' })).toThrow(/CACHE_ENABLED/);
    expect(() => loadConfig({ STATISTICS_CACHE_TTL_SECONDS: '0' })).toThrow(/STATISTICS_CACHE_TTL_SECONDS/);
    expect(() => loadConfig({ STATISTICS_CACHE_TTL_SECONDS: '1h' })).toThrow(/STATISTICS_CACHE_TTL_SECONDS/);
    expect(() => loadConfig({ REDIS_URL: 'http://127.0.0.1:6379' })).toThrow(/REDIS_URL/);
    expect(loadConfig({ STATISTICS_CACHE_TTL_SECONDS: '90' }).statisticsCacheTtlSeconds).toBe(90);
  });
});
