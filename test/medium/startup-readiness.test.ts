// While the service starts (snapshot, then the signed logs and aggregates built from it), the
// statistics are refused with a 503, never served from half-built tables: the first 200 already
// holds every row. (A regression: the snapshot used to count as done before the aggregates were.)
import { afterAll, beforeAll, expect, it } from 'vitest';
import { signAccessToken } from '../../libs/access-token/src/sign.js';
import { seedDemoData } from '../../apps/demo/src/seed.js';
import type { RealTimeStats } from '../../libs/metrics/src/types.js';
import { createTestDatabase, type TestDatabase } from '../factories/databases.js';
import { startTestRuntime, TEST_JWT_SECRET, type TestRuntime } from '../factories/runtime.js';
import { realTimeStatsOnPostgres } from '../oracle/postgres-oracle.js';

let db: TestDatabase;
let runtime: TestRuntime;

beforeAll(async () => {
  db = await createTestDatabase();
  await seedDemoData(db.pool, { requests: 3000, seed: 4 });
});

afterAll(async () => {
  await runtime?.destroy();
  await db?.drop();
});

it('answers 503 until every derived table is built, then the exact numbers', async () => {
  runtime = await startTestRuntime(db, {}, { awaitReady: false });
  const { rows } = await db.pool.query<{ id: string }>("SELECT id FROM users_user WHERE user_type = 'admin' AND is_active ORDER BY id LIMIT 1");
  const token = signAccessToken(Number(rows[0]!.id), TEST_JWT_SECRET, 600);
  const statuses = new Set<number>();
  const deadline = Date.now() + 100_000;
  let served: RealTimeStats | null = null;
  while (served === null) {
    if (Date.now() > deadline) throw new Error(`no 200 within 100 s; statuses ${[...statuses].join(', ')}`);
    const response = await fetch(`${runtime.url}/depannage/api/statistics/real_time_stats/`, { headers: { Authorization: `Bearer ${token}` } });
    statuses.add(response.status);
    if (response.status === 200) served = (await response.json()) as RealTimeStats;
    else expect(response.status).toBe(503);
  }
  expect(statuses.has(503)).toBe(true);
  const { current_time, ...figures } = served;
  expect(figures).toEqual(await realTimeStatsOnPostgres(db.pool, { now: new Date(current_time) }));
  expect(figures.last_7d.new_requests).toBeGreaterThan(0);
});
