// The cache settings, each with the real service: CACHE_ENABLED=false never caches; a REDIS_URL
// unreachable at boot still starts (degraded) and caches once Redis appears; a tiny TTL expires.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { signAccessToken } from '../../libs/access-token/src/sign.js';
import { CACHE_KEY_PREFIX } from '../../apps/api/src/cache/cache-key.js';
import { seedDemoData } from '../../apps/demo/src/seed.js';
import type { GlobalStatistics } from '../../libs/metrics/src/types.js';
import { createTestDatabase, type TestDatabase } from '../factories/databases.js';
import { freePort, redisClient, testRedis, type TestRedis } from '../factories/redis.js';
import { startTestRuntime, TEST_JWT_SECRET, type TestRuntime } from '../factories/runtime.js';

const GLOBAL = '/depannage/api/statistics/global_statistics/';

let db: TestDatabase;
let adminToken: string;
let runtime: TestRuntime | null = null;
let redis: TestRedis | null = null;

async function call(path: string, method = 'GET'): Promise<{ status: number; body: any }> {
  const response = await fetch(runtime!.url + path, { method, headers: { Authorization: `Bearer ${adminToken}` } });
  return { status: response.status, body: await response.json() };
}

async function stats(): Promise<GlobalStatistics> {
  const reply = await call(`${GLOBAL}?period=all`);
  expect(reply.status).toBe(200);
  return reply.body as GlobalStatistics;
}

beforeAll(async () => {
  db = await createTestDatabase();
  await seedDemoData(db.pool, { requests: 200, seed: 3 });
  const { rows } = await db.pool.query<{ id: string }>("SELECT id FROM users_user WHERE user_type = 'admin' AND is_active ORDER BY id LIMIT 1");
  adminToken = signAccessToken(Number(rows[0]!.id), TEST_JWT_SECRET, 600);
});

afterEach(async () => {
  await runtime?.destroy();
  runtime = null;
  await redis?.kill();
  redis = null;
});

afterAll(async () => {
  await db?.drop();
});

describe('cache settings', () => {
  it('CACHE_ENABLED=false computes every time and stores nothing', async () => {
    redis = testRedis(await freePort());
    await redis.start();
    runtime = await startTestRuntime(db, { CACHE_ENABLED: 'false', REDIS_URL: redis.url });
    const first = await stats();
    const second = await stats();
    expect(first.calculation_info.cached).toBe(false);
    expect(second.calculation_info.cached).toBe(false);
    expect(second.calculation_info.generated_at).not.toBe(first.calculation_info.generated_at);
    const reader = await redisClient(redis.url);
    try {
      expect(await reader.keys(`${CACHE_KEY_PREFIX}*`)).toEqual([]);
    } finally {
      reader.destroy();
    }
    const health = await call('/health/details');
    expect(health.body.cache).toMatchObject({ ok: true, backend: 'disabled' });
    expect(await call('/depannage/api/statistics/cache/', 'DELETE')).toEqual({ status: 200, body: { purged: 0 } });
  });

  it('starts with an unreachable REDIS_URL, degraded, caches once Redis is up, and expires entries after the TTL', async () => {
    redis = testRedis(await freePort());
    runtime = await startTestRuntime(db, { REDIS_URL: redis.url, STATISTICS_CACHE_TTL_SECONDS: '2' });
    const health = await call('/health/details');
    expect(health.body.status).toBe('degraded');
    expect(health.body.cache).toMatchObject({ ok: false, backend: 'redis', configured: true });
    // The live rooms share the same Redis (Redis Streams adapter): degraded too, not stopped.
    expect(health.body.realtime).toMatchObject({ ok: false, adapter: 'redis-streams' });
    expect(health.body.realtime.error).toMatch(/not answering/);
    const uncached = await stats();
    expect(uncached.calculation_info.cached).toBe(false);
    expect((await stats()).calculation_info.cached).toBe(false);

    await redis.start();
    const deadline = Date.now() + 15_000;
    for (;;) {
      const { body } = await call('/health/details');
      if (body.cache.ok === true && body.realtime.ok === true) break;
      if (Date.now() > deadline) throw new Error(`did not recover: cache ${JSON.stringify(body.cache)}, realtime ${JSON.stringify(body.realtime)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect((await call('/health/details')).body.status).toBe('ok');
    const computed = await stats();
    expect(computed.calculation_info.cached).toBe(false);
    const hit = await stats();
    expect(hit.calculation_info.cached).toBe(true);
    expect(hit.requests).toEqual(uncached.requests);

    await new Promise((resolve) => setTimeout(resolve, 2_300));
    const expired = await stats();
    expect(expired.calculation_info.cached).toBe(false);
    expect(expired.calculation_info.generated_at).not.toBe(computed.calculation_info.generated_at);
  });
});
