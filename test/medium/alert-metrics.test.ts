// The alert metrics are the statistics' own numbers: requests, revenue and failed logins over a
// window equal what the statistics endpoints serve for that period (and city), after a workload of
// updates and deletes; the failure rate equals SQL on Postgres; per-city groups add up to the total.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { measure } from '../../apps/api/src/alerts/queries/alert-metrics.js';
import { signAccessToken } from '../../libs/access-token/src/sign.js';
import { seedDemoData } from '../../apps/demo/src/seed.js';
import type { GlobalStatistics } from '../../libs/metrics/src/types.js';
import { createTestDatabase, type TestDatabase } from '../factories/databases.js';
import { startTestRuntime, TEST_JWT_SECRET, type TestRuntime } from '../factories/runtime.js';
import { runRandomWorkload } from '../factories/workload.js';

let db: TestDatabase;
let runtime: TestRuntime;
let token: string;

const HOURS = { '24h': 24, '7d': 7 * 24, '30d': 30 * 24 } as const;

async function statistics(query: string): Promise<GlobalStatistics> {
  const response = await fetch(`${runtime.url}/depannage/api/statistics/global_statistics/?${query}`, { headers: { Authorization: `Bearer ${token}` } });
  expect(response.status).toBe(200);
  return (await response.json()) as GlobalStatistics;
}

beforeAll(async () => {
  db = await createTestDatabase();
  await seedDemoData(db.pool, { requests: 3000, seed: 17 });
  runtime = await startTestRuntime(db);
  await runRandomWorkload(db.pool, { steps: 400, seed: 8 });
  // A status some clients write and the statistics have no key for: it counts as a failure.
  await db.pool.query(
    `UPDATE depannage_repairrequest SET status = 'failed' WHERE id IN (SELECT id FROM depannage_repairrequest WHERE created_at > now() - interval '6 days' ORDER BY id LIMIT 7)`,
  );
  await runtime.ingest.catchUp(60_000);
  const { rows } = await db.pool.query<{ id: string }>("SELECT id FROM users_user WHERE user_type = 'admin' AND is_active ORDER BY id LIMIT 1");
  token = signAccessToken(Number(rows[0]!.id), TEST_JWT_SECRET, 600);
});

afterAll(async () => {
  await runtime?.destroy();
  await db?.drop();
});

describe.each(Object.keys(HOURS) as Array<keyof typeof HOURS>)('window %s', (period) => {
  it('requests, revenue and failed logins equal the statistics of that period', async () => {
    const served = await statistics(`period=${period}`);
    const now = new Date(served.calculation_info.last_calculation);
    const range = [{ start: new Date(now.getTime() - HOURS[period] * 3600_000), end: now }];
    const unscoped = { groupBy: null, scope: { city: null, specialty: null } } as const;
    const value = async (metric: 'requests' | 'revenue' | 'failed_logins' | 'failure_rate') =>
      (await measure(runtime.clickhouse, metric, range, unscoped)).get('')?.[0]?.value ?? 0;
    expect(await value('requests')).toBe(served.requests.total);
    expect(await value('revenue')).toBe(served.financial.total_revenue);
    expect(await value('failed_logins')).toBe(served.security.failed_logins);
    expect(served.requests.total).toBeGreaterThan(0);

    const { rows } = await db.pool.query<{ rate: string | null }>(
      `SELECT round(100.0 * count(*) FILTER (WHERE status IN ('cancelled', 'failed')) / nullif(count(*), 0), 1)::text AS rate
       FROM depannage_repairrequest WHERE created_at >= $1 AND created_at < $2`,
      [range[0]!.start, now],
    );
    expect(await value('failure_rate')).toBe(Number(rows[0]!.rate ?? 0));
  });

  it('per city: each group equals the statistics filtered by that city, and the groups add up', async () => {
    const served = await statistics(`period=${period}`);
    const now = new Date(served.calculation_info.last_calculation);
    const range = [{ start: new Date(now.getTime() - HOURS[period] * 3600_000), end: now }];
    for (const metric of ['requests', 'revenue'] as const) {
      const groups = await measure(runtime.clickhouse, metric, range, { groupBy: 'city', scope: { city: null, specialty: null } });
      const total = [...groups.values()].reduce((sum, slots) => sum + (slots[0]?.value ?? 0), 0);
      expect(Math.round(total * 100) / 100).toBe(metric === 'requests' ? served.requests.total : served.financial.total_revenue);
      const bamako = await statistics(`from=${range[0]!.start.toISOString()}&to=${now.toISOString()}&city=Bamako`);
      const scoped = (await measure(runtime.clickhouse, metric, range, { groupBy: null, scope: { city: 'Bamako', specialty: null } })).get('')?.[0]?.value ?? 0;
      expect(scoped).toBe(metric === 'requests' ? bamako.requests.total : bamako.financial.total_revenue);
      expect(groups.get('Bamako')?.[0]?.value ?? 0).toBe(scoped);
    }
  });
});
