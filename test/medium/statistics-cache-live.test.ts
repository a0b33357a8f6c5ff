// The statistics cache under constant writes: with a change landing every few tens of
// milliseconds every request sees new versions, yet concurrent requests for one answer share its
// computations (at most one running and one queued), and every answer includes at least the
// changes applied before its request arrived.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signAccessToken } from '../../libs/access-token/src/sign.js';
import { StatisticsCacheService } from '../../apps/api/src/cache/statistics-cache.service.js';
import { CLICKHOUSE } from '../../apps/api/src/tokens.js';
import { withEngineContext } from '../../libs/clickhouse/src/admission.js';
import type { ClickHouse } from '../../libs/clickhouse/src/clickhouse.js';
import { seedDemoData } from '../../apps/demo/src/seed.js';
import type { GlobalStatistics } from '../../libs/metrics/src/types.js';
import { createTestDatabase, type TestDatabase } from '../factories/databases.js';
import { startTestRuntime, TEST_JWT_SECRET, type TestRuntime } from '../factories/runtime.js';

let db: TestDatabase;
let runtime: TestRuntime;
let token: string;

beforeAll(async () => {
  db = await createTestDatabase();
  await seedDemoData(db.pool, { requests: 3000, seed: 4 });
  runtime = await startTestRuntime(db, { INGEST_BATCH_DELAY_MS: '10' });
  const { rows } = await db.pool.query<{ id: string }>("SELECT id FROM users_user WHERE user_type = 'admin' AND is_active ORDER BY id LIMIT 1");
  token = signAccessToken(Number(rows[0]!.id), TEST_JWT_SECRET, 600);
});

afterAll(async () => {
  await runtime?.destroy();
  await db?.drop();
});

/** Resolves once `condition` holds; fails after 10 s. */
async function sleepUntil(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met within 10 s');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** One operational change, applied to ClickHouse before this resolves. */
async function change(): Promise<void> {
  await db.pool.query(`UPDATE depannage_repairrequest SET city = city WHERE id = (SELECT min(id) FROM depannage_repairrequest)`);
  await runtime.ingest.catchUp(30_000);
}

describe('under constant writes', () => {
  it('requests arriving after a change wait for the next computation and share it', async () => {
    const cache = runtime.app.get(StatisticsCacheService);
    const tables = ['depannage_repairrequest'];
    const filters = { probe: 'next-computation' };
    let releaseFirst!: () => void;
    const first = cache.getOrCompute('probe', filters, tables, () => new Promise<string>((resolve) => (releaseFirst = () => resolve('first'))));
    await change();
    const arrivals: string[] = [];
    const starts: number[] = [];
    const compute = async (): Promise<string> => {
      starts.push(Date.now());
      return 'next';
    };
    const waiting = [];
    for (let i = 0; i < 3; i++) {
      arrivals.push(runtime.ingest.freshness().dataAsOf!);
      waiting.push(cache.getOrCompute('probe', filters, tables, compute));
    }
    await change();
    for (let i = 0; i < 3; i++) {
      arrivals.push(runtime.ingest.freshness().dataAsOf!);
      waiting.push(cache.getOrCompute('probe', filters, tables, compute));
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    // Nothing else started while the first one runs.
    expect(starts).toEqual([]);
    const firstEnded = Date.now();
    releaseFirst();
    expect((await first).value).toBe('first');
    const results = await Promise.all(waiting);
    // One computation for the six requests, after the first ended, as new as the latest arrival.
    expect(starts.length).toBe(1);
    expect(starts[0]!).toBeGreaterThanOrEqual(firstEnded);
    for (const [i, result] of results.entries()) {
      expect(result.value).toBe('next');
      expect(Date.parse(result.dataAsOf!)).toBeGreaterThanOrEqual(Date.parse(arrivals[i]!));
    }
  });

  it('concurrent requests share computations, each answer at least as new as its request', async () => {
    const cache = runtime.app.get(StatisticsCacheService);
    let writing = true;
    let changes = 0;
    const writer = (async () => {
      while (writing) {
        await db.pool.query(`UPDATE depannage_repairrequest SET city = city WHERE id = (SELECT id FROM depannage_repairrequest ORDER BY random() LIMIT 1)`);
        changes++;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    const before = cache.stats();
    const requests: Array<Promise<void>> = [];
    let answered = 0;
    const started = Date.now();
    // 8 clients, each asking again as soon as it is answered, for 4 seconds.
    for (let client = 0; client < 8; client++) {
      requests.push(
        (async () => {
          while (Date.now() - started < 4000) {
            const arrival = runtime.ingest.freshness().dataAsOf;
            const response = await fetch(`${runtime.url}/depannage/api/statistics/global_statistics/?period=7d`, { headers: { Authorization: `Bearer ${token}` } });
            expect(response.status).toBe(200);
            const body = (await response.json()) as GlobalStatistics;
            // The figures include every change applied when the request arrived.
            expect(Date.parse(body.calculation_info.data_as_of!)).toBeGreaterThanOrEqual(Date.parse(arrival!));
            answered++;
          }
        })(),
      );
    }
    await Promise.all(requests);
    writing = false;
    await writer;
    const after = cache.stats();
    const computations = after.computations - before.computations;
    expect(changes).toBeGreaterThan(20);
    expect(answered).toBeGreaterThan(16);
    expect(computations, `${computations} computations for ${answered} answers`).toBeLessThan(answered / 2);
  }, 60_000);
});

describe('engine time of shared computations', () => {
  it('is charged in full to every request keeping an account, whoever started the computation', async () => {
    const cache = runtime.app.get(StatisticsCacheService);
    const engine = runtime.app.get<ClickHouse>(CLICKHOUSE);
    const filters = { probe: 'shared-cost' };
    const compute = async (): Promise<number> => {
      await engine.query('SELECT sleep(0.3)');
      return 1;
    };
    const dashboard = { busyMs: 0 };
    const room = { busyMs: 0 };
    const ask = (priority: 'interactive' | 'live', account: { busyMs: number }) =>
      withEngineContext({ priority, deadline: Date.now() + 10_000, account }, () => cache.getOrCompute('probe', filters, ['depannage_review'], compute));
    const before = cache.stats().computations;
    await Promise.all([ask('interactive', dashboard), ask('live', room)]);
    expect(cache.stats().computations - before).toBe(1);
    // The live room joined the dashboard's computation: its budget still counts what it cost.
    expect(room.busyMs).toBeGreaterThanOrEqual(250);
    expect(dashboard.busyMs).toBeGreaterThanOrEqual(250);
  });
});

describe('bounded staleness (Cache-Control: max-stale)', () => {
  it('refreshes a stale answer in the background once it is half as old as the client allows', async () => {
    const cache = runtime.app.get(StatisticsCacheService);
    const tables = ['depannage_repairrequest'];
    const filters = { probe: 'refresh-ahead' };
    let computations = 0;
    const compute = async (): Promise<number> => ++computations;
    const first = await cache.getOrCompute('probe', filters, tables, compute);
    expect(first.value).toBe(1);
    await change();
    // Younger than half of the client's bound: the stale answer, nothing started.
    const before = cache.stats();
    expect(await cache.getOrCompute('probe', filters, tables, compute, { maxStaleMs: 60_000 })).toMatchObject({ value: 1, stale: true });
    expect(cache.stats().refreshedAhead).toBe(before.refreshedAhead);
    // Older than half of a 4 s bound: still the stale answer at once, and the current one under way.
    await sleepUntil(() => Date.now() - Date.parse(first.generatedAt) >= 2000);
    expect(await cache.getOrCompute('probe', filters, tables, compute, { maxStaleMs: 4000 })).toMatchObject({ value: 1, stale: true });
    expect(cache.stats().refreshedAhead).toBe(before.refreshedAhead + 1);
    await sleepUntil(() => computations === 2);
    // The next client finds it: current data, not stale, not computed again.
    const next = await cache.getOrCompute('probe', filters, tables, compute, { maxStaleMs: 4000 });
    expect(next).toMatchObject({ value: 2, cached: true });
    expect(next.stale).toBeFalsy();
    expect(computations).toBe(2);
    expect(cache.stats().refreshFailures).toBe(before.refreshFailures);
  });

  async function stats(headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
    const response = await fetch(`${runtime.url}/depannage/api/statistics/requests/?period=30d`, { headers: { Authorization: `Bearer ${token}`, ...headers } });
    return { status: response.status, body: await response.json() };
  }

  it('serves the last answer within the client’s bound after a change, says so, and is fresh otherwise', async () => {
    const first = await stats();
    expect(first.body.calculation_info).toMatchObject({ stale: false, max_stale_seconds: 0 });
    await change();
    const stale = await stats({ 'Cache-Control': 'max-stale=60' });
    expect(stale.status).toBe(200);
    expect(stale.body.calculation_info).toMatchObject({ stale: true, max_stale_seconds: 60, cached: true, generated_at: first.body.calculation_info.generated_at });
    expect(stale.body.calculation_info.data_as_of).toBe(first.body.calculation_info.data_as_of);
    const fresh = await stats();
    expect(fresh.body.calculation_info.stale).toBe(false);
    expect(Date.parse(fresh.body.calculation_info.data_as_of)).toBeGreaterThan(Date.parse(first.body.calculation_info.data_as_of));
    // A bound shorter than the answer's age is not met: fresh again.
    await change();
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const tooOld = await stats({ 'Cache-Control': 'max-stale=1' });
    expect(tooOld.body.calculation_info.stale).toBe(false);
    const bad = await stats({ 'Cache-Control': 'max-stale=soon' });
    expect(bad.status).toBe(400);
    expect(bad.body.detail).toContain('Cache-Control');
  });

  it('real_time_stats: the last one within the bound, its age in the Age header; fresh without the header', async () => {
    async function realTime(headers: Record<string, string> = {}): Promise<{ status: number; body: any; age: string | null }> {
      const response = await fetch(`${runtime.url}/depannage/api/statistics/real_time_stats/`, { headers: { Authorization: `Bearer ${token}`, ...headers } });
      return { status: response.status, body: await response.json(), age: response.headers.get('age') };
    }
    const first = await realTime();
    expect(first.age).toBeNull();
    // A new request in the last 24 h: a fresh answer counts it, a stale one does not.
    await db.pool.query(
      `INSERT INTO depannage_repairrequest (title, specialty_needed, address, city, client_id, status, created_at)
       VALUES ('stale probe', 'plumber', 'a', 'Gao', (SELECT id FROM depannage_client ORDER BY id LIMIT 1), 'pending', now())`,
    );
    await runtime.ingest.catchUp(30_000);
    const stale = await realTime({ 'Cache-Control': 'max-stale=60' });
    expect(stale.status).toBe(200);
    expect(Number(stale.age)).toBeGreaterThanOrEqual(0);
    expect(Number(stale.age)).toBeLessThanOrEqual(60);
    expect(stale.body.last_24h.new_requests).toBe(first.body.last_24h.new_requests);
    const fresh = await realTime();
    expect(fresh.age).toBeNull();
    expect(fresh.body.last_24h.new_requests).toBe(first.body.last_24h.new_requests + 1);
    const bad = await realTime({ 'Cache-Control': 'max-stale=soon' });
    expect(bad.status).toBe(400);
  });

  it('real_time_stats: once the last one is half as old as the bound, the next is computed in the background', async () => {
    async function realTime(): Promise<{ body: any; age: number }> {
      const response = await fetch(`${runtime.url}/depannage/api/statistics/real_time_stats/`, {
        headers: { Authorization: `Bearer ${token}`, 'Cache-Control': 'max-stale=4' },
      });
      expect(response.status).toBe(200);
      return { body: await response.json(), age: Number(response.headers.get('age')) };
    }
    const first = await realTime();
    await db.pool.query(
      `INSERT INTO depannage_repairrequest (title, specialty_needed, address, city, client_id, status, created_at)
       VALUES ('refresh probe', 'plumber', 'a', 'Gao', (SELECT id FROM depannage_client ORDER BY id LIMIT 1), 'pending', now())`,
    );
    await runtime.ingest.catchUp(30_000);
    // Every request accepts 4 s: only a background computation can bring the new request in.
    const deadline = Date.now() + 10_000;
    let seen = first;
    while (seen.body.last_24h.new_requests !== first.body.last_24h.new_requests + 1) {
      if (Date.now() > deadline) throw new Error('the new request never showed within 10 s');
      await new Promise((resolve) => setTimeout(resolve, 100));
      seen = await realTime();
    }
    expect(seen.age).toBeLessThanOrEqual(4);
  });
});

