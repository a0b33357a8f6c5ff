// The statistics cache against a real Redis (our own redis-server, so that it can be killed), a
// real Postgres and the embedded ClickHouse: entries really land in Redis with the TTL, a second
// request is served from it, an operational change applied by the ingest invalidates it,
// concurrent misses compute once, the admin purge, and a Redis crash and return under load.
import { Logger } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { signAccessToken } from '../../libs/access-token/src/sign.js';
import { CACHE_KEY_PREFIX } from '../../apps/api/src/cache/cache-key.js';
import { StatisticsCacheService } from '../../apps/api/src/cache/statistics-cache.service.js';
import { seedDemoData } from '../../apps/demo/src/seed.js';
import type { GlobalStatistics } from '../../libs/metrics/src/types.js';
import { createTestDatabase, type TestDatabase } from '../factories/databases.js';
import { freePort, redisClient, testRedis, type TestRedis } from '../factories/redis.js';
import { startTestRuntime, TEST_JWT_SECRET, type TestRuntime } from '../factories/runtime.js';

const GLOBAL = '/depannage/api/statistics/global_statistics/';
const PURGE = '/depannage/api/statistics/cache/';
const TTL_SECONDS = 120;

let db: TestDatabase;
let redis: TestRedis;
let reader: Awaited<ReturnType<typeof redisClient>>;
let runtime: TestRuntime;
let adminToken: string;
let clientToken: string;
let cache: StatisticsCacheService;

interface Reply {
  status: number;
  body: any;
}

async function call(path: string, options: { method?: string; token?: string | null } = {}): Promise<Reply> {
  const token = options.token === undefined ? adminToken : options.token;
  const response = await fetch(runtime.url + path, {
    method: options.method ?? 'GET',
    headers: token === null ? {} : { Authorization: `Bearer ${token}` },
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

async function stats(period: string): Promise<GlobalStatistics> {
  const reply = await call(`${GLOBAL}?period=${period}`);
  expect(reply.status).toBe(200);
  return reply.body as GlobalStatistics;
}

function figures(body: GlobalStatistics): Omit<GlobalStatistics, 'calculation_info'> {
  const { calculation_info: _, ...rest } = body;
  return rest;
}

async function userId(where: string): Promise<number> {
  const { rows } = await db.pool.query<{ id: string }>(`SELECT id FROM users_user WHERE ${where} ORDER BY id LIMIT 1`);
  if (!rows[0]) throw new Error(`no user where ${where}`);
  return Number(rows[0].id);
}

async function entryKeys(): Promise<string[]> {
  return (await reader.keys(`${CACHE_KEY_PREFIX}*`)).filter((key) => key.includes(':entry:'));
}

async function insertRequest(): Promise<number> {
  const { rows } = await db.pool.query<{ id: string }>(
    `INSERT INTO depannage_repairrequest (title, specialty_needed, address, city, client_id, status)
     SELECT 'cache test', 'plumber', 'rue 1', 'Kayes', id, 'pending' FROM depannage_client ORDER BY id LIMIT 1
     RETURNING id`,
  );
  return Number(rows[0]!.id);
}

async function waitFor(condition: () => Promise<boolean> | boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

beforeAll(async () => {
  db = await createTestDatabase();
  await seedDemoData(db.pool, { requests: 400, seed: 7 });
  redis = testRedis(await freePort());
  await redis.start();
  reader = await redisClient(redis.url);
  runtime = await startTestRuntime(db, { REDIS_URL: redis.url, STATISTICS_CACHE_TTL_SECONDS: String(TTL_SECONDS) });
  cache = runtime.app.get(StatisticsCacheService);
  adminToken = signAccessToken(await userId("user_type = 'admin' AND is_active"), TEST_JWT_SECRET, 600);
  clientToken = signAccessToken(await userId("user_type = 'client' AND is_active AND NOT is_staff"), TEST_JWT_SECRET, 600);
});

afterAll(async () => {
  await runtime?.destroy();
  if (reader?.isOpen) reader.destroy();
  await redis?.kill();
  await db?.drop();
});

describe('statistics cache on Redis', () => {
  it('stores the response in Redis with the TTL and serves the second request from it', async () => {
    const first = await stats('7d');
    expect(first.calculation_info.cached).toBe(false);
    expect(first.calculation_info.generated_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(first.calculation_info.data_as_of).not.toBeNull();

    const keys = await entryKeys();
    expect(keys).toHaveLength(1);
    expect(keys[0]).toContain(':entry:global_statistics:period=7d:v=');
    const ttl = await reader.pTTL(keys[0]!);
    expect(ttl).toBeGreaterThan((TTL_SECONDS - 10) * 1000);
    expect(ttl).toBeLessThanOrEqual(TTL_SECONDS * 1000);
    // The stored value is the response itself, not a placeholder.
    expect(JSON.stringify(JSON.parse((await reader.get(keys[0]!))!))).toContain(`"total":${first.requests.total}`);

    const second = await stats('7d');
    expect(second.calculation_info.cached).toBe(true);
    expect(figures(second)).toEqual(figures(first));
    // The cached answer keeps the times of the computation it comes from.
    expect(second.calculation_info.generated_at).toBe(first.calculation_info.generated_at);
    expect(second.calculation_info.last_calculation).toBe(first.calculation_info.last_calculation);
    expect(second.calculation_info.calculation_duration).toBe(first.calculation_info.calculation_duration);
    expect(second.calculation_info.data_as_of).toBe(first.calculation_info.data_as_of);

    // Another filter value is another key.
    expect((await stats('all')).calculation_info.cached).toBe(false);
    expect(await entryKeys()).toHaveLength(2);
  });

  it('recomputes after an INSERT and a DELETE in Postgres once the ingest applied them', async () => {
    const before = await stats('all');
    expect(before.calculation_info.cached).toBe(true);

    const id = await insertRequest();
    await runtime.ingest.catchUp(30_000);
    const afterInsert = await stats('all');
    expect(afterInsert.calculation_info.cached).toBe(false);
    expect(afterInsert.requests.total).toBe(before.requests.total + 1);
    expect(Date.parse(afterInsert.calculation_info.data_as_of!)).toBeGreaterThan(Date.parse(before.calculation_info.data_as_of!));
    expect((await stats('all')).calculation_info.cached).toBe(true);

    await db.pool.query('DELETE FROM depannage_repairrequest WHERE id = $1', [id]);
    await runtime.ingest.catchUp(30_000);
    const afterDelete = await stats('all');
    expect(afterDelete.calculation_info.cached).toBe(false);
    expect(afterDelete.requests.total).toBe(before.requests.total);
  });

  it('runs one computation for concurrent identical misses', async () => {
    const before = cache.stats().computations;
    const replies = await Promise.all(Array.from({ length: 8 }, () => stats('30d')));
    expect(cache.stats().computations - before).toBe(1);
    for (const reply of replies) expect(figures(reply)).toEqual(figures(replies[0]!));
    expect(new Set(replies.map((reply) => reply.calculation_info.generated_at)).size).toBe(1);
  });

  it('lets admins only purge, deleting our entries and nothing else', async () => {
    await reader.set('someone-else:key', 'kept');
    expect((await entryKeys()).length).toBeGreaterThan(0);
    expect((await call(PURGE, { method: 'DELETE', token: null })).status).toBe(401);
    expect((await call(PURGE, { method: 'DELETE', token: clientToken })).status).toBe(403);
    expect((await entryKeys()).length).toBeGreaterThan(0);
    // Other methods and other paths stay read-only.
    expect((await call(PURGE, { method: 'POST' })).status).toBe(405);
    expect((await call(GLOBAL, { method: 'DELETE' })).status).toBe(405);

    const count = (await entryKeys()).length;
    const purge = await call(PURGE, { method: 'DELETE' });
    expect(purge.status).toBe(200);
    expect(purge.body).toEqual({ purged: count });
    expect(await entryKeys()).toEqual([]);
    expect(await reader.get('someone-else:key')).toBe('kept');
    expect((await stats('7d')).calculation_info.cached).toBe(false);
  });

  it('a change invalidates the sections that read its table, and only those', async () => {
    const section = async (name: string): Promise<any> => {
      const reply = await call(`/depannage/api/statistics/${name}/`);
      expect(reply.status).toBe(200);
      return reply.body;
    };
    for (const name of ['requests', 'security', 'financial']) await section(name);
    const hitsBefore = cache.stats().hits;
    expect((await section('requests')).calculation_info.cached).toBe(true);
    expect((await section('security')).calculation_info.cached).toBe(true);
    // Hits answered from the in-process copy still count as hits, and serve the same figures.
    expect(cache.stats().hits - hitsBefore).toBe(2);

    const before = await section('requests');
    await insertRequest();
    await runtime.ingest.catchUp(30_000);
    const requests = await section('requests');
    expect(requests.calculation_info.cached).toBe(false);
    expect(requests.total).toBe(before.total + 1);
    // Security reads the audit log and notifications only; financial reads payments and requests.
    expect((await section('security')).calculation_info.cached).toBe(true);
    expect((await section('financial')).calculation_info.cached).toBe(false);
  });

  it('answers from ClickHouse while Redis is down, reports it, and caches again when it returns', async () => {
    const warm = await stats('all');
    expect((await stats('all')).calculation_info.cached).toBe(true);
    const healthy = await call('/health/details');
    expect(healthy.body.cache).toMatchObject({ ok: true, backend: 'redis', configured: true });

    const warn = vi.spyOn(Logger.prototype, 'warn');
    await redis.kill();
    const errorsBefore = cache.stats().redisErrors;
    const down = await stats('all');
    expect(down.calculation_info.cached).toBe(false);
    expect(figures(down).requests).toEqual(figures(warm).requests);
    expect(cache.stats().redisErrors).toBeGreaterThan(errorsBefore);
    const health = await call('/health/details');
    expect(health.status).toBe(200);
    expect(health.body.status).toBe('degraded');
    expect(health.body.cache.ok).toBe(false);
    expect(health.body.cache.error).toBeTruthy();
    // Logged as a structured statistics.cache warning naming the Redis, without credentials.
    const warnings = warn.mock.calls.filter((_, index) => (warn.mock.contexts[index] as { context?: string }).context === 'statistics.cache');
    expect(warnings.length).toBeGreaterThan(0);
    expect(warnings[0]![0]).toMatchObject({ redis: `redis://127.0.0.1:${redis.port}`, error: expect.any(String) });
    warn.mockRestore();

    // A change while Redis is away is served too, and its version reaches Redis when it returns.
    await insertRequest();
    await runtime.ingest.catchUp(30_000);
    const changed = await stats('all');
    expect(changed.calculation_info.cached).toBe(false);
    expect(changed.requests.total).toBe(warm.requests.total + 1);

    await redis.start();
    await waitFor(async () => (await call('/health/details')).body.cache.ok === true, 'the cache to be healthy again');
    await waitFor(async () => (await reader.hLen(`${CACHE_KEY_PREFIX}${runtime.config.replicationSlot}:versions`)) > 0, 'versions republished');
    const again = await stats('all');
    expect(again.calculation_info.cached).toBe(false);
    expect(again.requests.total).toBe(changed.requests.total);
    const cachedAgain = await stats('all');
    expect(cachedAgain.calculation_info.cached).toBe(true);
    expect(figures(cachedAgain)).toEqual(figures(again));
    expect(await entryKeys()).toHaveLength(1);
  });
});
