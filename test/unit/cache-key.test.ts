import { describe, expect, it } from 'vitest';
import {
  canonicalFilters,
  CACHE_KEY_PREFIX,
  entryPattern,
  statisticsCacheKey,
  STATISTICS_SOURCE_TABLES,
  versionsDigest,
} from '../../apps/api/src/cache/cache-key.js';
import { redisLocation } from '../../apps/api/src/cache/cache-backend.js';
import { REPLICATED_TABLE_NAMES } from '../../libs/ingest-feed/src/tables.js';

describe('cache keys', () => {
  it('orders filters by name, drops unset ones and encodes values', () => {
    expect(canonicalFilters({ period: '7d', city: 'Ségou', specialty: undefined })).toBe('city=S%C3%A9gou&period=7d');
    expect(canonicalFilters({ city: 'Ségou', period: '7d' })).toBe(canonicalFilters({ period: '7d', city: 'Ségou' }));
    expect(canonicalFilters({})).toBe('');
    // A value containing the separators cannot forge another filter set.
    expect(canonicalFilters({ a: 'x&b=y' })).not.toBe(canonicalFilters({ a: 'x', b: 'y' }));
  });

  it('changes the versions digest when any dependent table changes, not with table order', () => {
    const versions = new Map([['users_user', '10'], ['depannage_payment', '20'], ['depannage_review', '5']]);
    const base = versionsDigest(versions, ['users_user', 'depannage_payment']);
    expect(versionsDigest(versions, ['depannage_payment', 'users_user'])).toBe(base);
    // A table the result does not depend on does not matter.
    expect(versionsDigest(new Map([...versions, ['depannage_review', '6']]), ['users_user', 'depannage_payment'])).toBe(base);
    expect(versionsDigest(new Map([...versions, ['depannage_payment', '21']]), ['users_user', 'depannage_payment'])).not.toBe(base);
    expect(() => versionsDigest(versions, ['depannage_client'])).toThrow(/depannage_client/);
  });

  it('builds prefixed keys that the purge pattern matches, per scope', () => {
    const key = statisticsCacheKey({ scope: 'slot_a', endpoint: 'global_statistics', filters: { period: 'all' }, versions: 'abc' });
    expect(key).toBe(`${CACHE_KEY_PREFIX}slot_a:entry:global_statistics:period=all:v=abc`);
    const glob = (pattern: string): RegExp => new RegExp(`^${pattern.replace(/[.+^${}()|]/g, '\\$&').replace(/\*/g, '.*')}$`);
    expect(glob(entryPattern('slot_a')).test(key)).toBe(true);
    expect(glob(entryPattern('slot_b')).test(key)).toBe(false);
  });

  it('makes global_statistics depend on every replicated table', () => {
    expect([...STATISTICS_SOURCE_TABLES.global_statistics].sort()).toEqual([...REPLICATED_TABLE_NAMES].sort());
  });

  it('never shows Redis credentials', () => {
    expect(redisLocation('redis://user:s3cret@cache.internal:6380/2')).toBe('redis://cache.internal:6380/2');
    expect(redisLocation('rediss://:s3cret@cache.internal')).toBe('rediss://cache.internal:6379');
  });
});
