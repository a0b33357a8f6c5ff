// The section endpoints, the KPIs and the filters (docs/statistics-api.md), served over HTTP from
// ClickHouse after CDC, against the plain-SQL oracle on Postgres, after a random workload of
// inserts, updates and deletes; each section equals its global_statistics object for the same
// filters and instant; every bad parameter is a 400 that names it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoData } from '../../apps/demo/src/seed.js';
import { signAccessToken } from '../../libs/access-token/src/sign.js';
import { computeGlobalStatistics, computeSection } from '../../apps/api/src/statistics/compute.js';
import type { StatisticsQuery } from '../../libs/metrics/src/types.js';
import { SECTIONS } from '../../libs/metrics/src/types.js';
import { createTestDatabase, type TestDatabase } from '../factories/databases.js';
import { startTestRuntime, TEST_JWT_SECRET, type TestRuntime } from '../factories/runtime.js';
import { runRandomWorkload } from '../factories/workload.js';
import { globalStatisticsOnPostgres, kpisOnPostgres, sectionOnPostgres } from '../oracle/postgres-oracle.js';

const BASE = '/depannage/api/statistics';
const SPEND = 1_234_567.5;

let db: TestDatabase;
let runtime: TestRuntime;
let adminToken: string;

async function get(path: string): Promise<{ status: number; body: any }> {
  const response = await fetch(runtime.url + path, { headers: { Authorization: `Bearer ${adminToken}` } });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

const PERIOD_HOURS: Record<string, number> = { '24h': 24, '7d': 7 * 24, '30d': 30 * 24 };

/**
 * The oracle's query for a served response: same filters, same instant. Read from the spec, not
 * with the API's own parser, so a parsing mistake (a date's end of day, say) shows as a mismatch.
 */
function queryOf(filters: Record<string, string>, lastCalculation: string): StatisticsQuery {
  const now = new Date(lastCalculation);
  const instant = (value: string | undefined, endOfDay: boolean): Date | null => {
    if (value === undefined) return null;
    if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return new Date(Date.parse(`${value}T00:00:00Z`) + (endOfDay ? 86_400_000 : 0));
    return new Date(value);
  };
  const scope = { city: filters.city ?? null, specialty: filters.specialty ?? null, now };
  if (filters.from !== undefined || filters.to !== undefined) {
    return { period: 'custom', from: instant(filters.from, false), to: instant(filters.to, true), ...scope };
  }
  const period = (filters.period ?? 'all') as StatisticsQuery['period'];
  const hours = PERIOD_HOURS[period];
  return { period, from: hours === undefined ? null : new Date(now.getTime() - hours * 3_600_000), to: null, ...scope };
}

/** Filter combinations, chosen so each branch of the windows and of the request scope is used. */
const FILTERS: Array<Record<string, string>> = [
  {},
  { period: '7d' },
  { period: '24h' },
  // Custom windows: whole days plus both edges; a window inside one day; only an end; only a start.
  { from: new Date(Date.now() - 20 * 86_400_000 - 3_600_000).toISOString(), to: new Date(Date.now() - 2 * 86_400_000 + 7_200_000).toISOString() },
  { from: new Date(Date.now() - 3 * 3_600_000).toISOString(), to: new Date(Date.now() - 3_600_000).toISOString() },
  { to: new Date(Date.now() - 10 * 86_400_000).toISOString().slice(0, 10) },
  { from: new Date(Date.now() - 40 * 86_400_000).toISOString().slice(0, 10) },
  { city: 'Bamako' },
  { specialty: 'plumber' },
  { period: '30d', city: 'Bamako', specialty: 'electrician' },
  { from: new Date(Date.now() - 15 * 86_400_000).toISOString(), city: 'Sikasso' },
];

function label(filters: Record<string, string>): string {
  return new URLSearchParams(filters).toString() || 'no filter';
}

beforeAll(async () => {
  db = await createTestDatabase();
  await seedDemoData(db.pool, { requests: 2500, seed: 23 });
  runtime = await startTestRuntime(db, { ACQUISITION_SPEND_XOF: String(SPEND) });
  const { rows } = await db.pool.query<{ id: string }>("SELECT id FROM users_user WHERE user_type = 'admin' AND is_active ORDER BY id LIMIT 1");
  adminToken = signAccessToken(Number(rows[0]!.id), TEST_JWT_SECRET, 600);
  // Changes after the snapshot reach ClickHouse through the stream.
  await runRandomWorkload(db.pool, { steps: 500, seed: 8 });
  // Moderated reviews, so the satisfaction figures are not all zero; a city move after payment.
  await db.pool.query(`UPDATE depannage_review SET moderation_status = 'approved' WHERE id % 3 = 0`);
  await db.pool.query(`UPDATE depannage_repairrequest SET city = 'Kayes' WHERE id IN (SELECT request_id FROM depannage_payment ORDER BY id LIMIT 5)`);
  await db.pool.query(`DELETE FROM depannage_payment WHERE id IN (SELECT id FROM depannage_payment ORDER BY id DESC LIMIT 10)`);
  // High-risk audit rows that stop being high-risk, become high-risk on another address, or go.
  await db.pool.query(`UPDATE users_auditlog SET risk_score = 10 WHERE id IN (SELECT id FROM users_auditlog WHERE risk_score >= 80 ORDER BY id LIMIT 5)`);
  await db.pool.query(
    `UPDATE users_auditlog SET ip_address = '10.9.9.9', risk_score = 95, "timestamp" = now() - interval '1 hour'
     WHERE id IN (SELECT id FROM users_auditlog WHERE risk_score < 80 ORDER BY id DESC LIMIT 5)`,
  );
  await db.pool.query(`DELETE FROM users_auditlog WHERE id IN (SELECT id FROM users_auditlog WHERE risk_score >= 80 ORDER BY id DESC LIMIT 3)`);
  await runtime.ingest.catchUp(60_000);
});

afterAll(async () => {
  await runtime?.destroy();
  await db?.drop();
});

describe('section endpoints equal SQL on Postgres', () => {
  for (const section of SECTIONS) {
    it(`${section}`, async () => {
      for (const filters of FILTERS) {
        const { status, body } = await get(`${BASE}/${section}/?${new URLSearchParams(filters)}`);
        expect(status, `${section} ${label(filters)}: ${JSON.stringify(body)}`).toBe(200);
        const { calculation_info, ...figures } = body;
        const query = queryOf(filters, calculation_info.last_calculation);
        expect(figures, `${section} ${label(filters)}`).toEqual(await sectionOnPostgres(db.pool, section, query));
        expect(calculation_info.filters.city).toBe(filters.city ?? null);
      }
    });
  }

  it('global_statistics equals SQL on Postgres with every filter', async () => {
    for (const filters of FILTERS) {
      const { status, body } = await get(`${BASE}/global_statistics/?${new URLSearchParams(filters)}`);
      expect(status).toBe(200);
      const { calculation_info, ...figures } = body;
      expect(figures, label(filters)).toEqual(await globalStatisticsOnPostgres(db.pool, queryOf(filters, calculation_info.last_calculation)));
    }
  });

  it('each section holds the keys and values of its global_statistics object for the same filters', async () => {
    for (const filters of FILTERS) {
      const query = queryOf(filters, new Date().toISOString());
      const global = (await computeGlobalStatistics(runtime.clickhouse, query)) as unknown as Record<string, Record<string, unknown>>;
      for (const section of SECTIONS) {
        const figures = (await computeSection(runtime.clickhouse, section, query)) as Record<string, unknown>;
        for (const [key, value] of Object.entries(global[section]!)) {
          expect(figures[key], `${section}.${key} ${label(filters)}`).toEqual(value);
        }
      }
    }
  });

  it('security follows audit rows that changed or went (the address moved to 10.9.9.9 leads)', async () => {
    const { body } = await get(`${BASE}/security/`);
    // Some of the moved rows were then deleted: the survivors, as Postgres counts them.
    const { rows } = await db.pool.query<{ n: string }>("SELECT count(*) AS n FROM users_auditlog WHERE ip_address = '10.9.9.9' AND risk_score >= 80");
    expect(Number(rows[0]!.n)).toBeGreaterThan(1);
    expect(body.top_risky_ips[0]).toEqual({ ip_address: '10.9.9.9', events: Number(rows[0]!.n), max_risk_score: 95 });
  });

  it('filters narrow what they apply to, and only that', async () => {
    const all = (await get(`${BASE}/global_statistics/`)).body;
    const bamako = (await get(`${BASE}/global_statistics/?city=Bamako`)).body;
    expect(bamako.requests.total).toBeGreaterThan(0);
    expect(bamako.requests.total).toBeLessThan(all.requests.total);
    expect(bamako.financial.total_revenue).toBeLessThan(all.financial.total_revenue);
    expect(bamako.geography.top_cities.map((c: { city: string }) => c.city)).toEqual(['Bamako']);
    // No city dimension: unchanged.
    expect(bamako.overview.total_users).toBe(all.overview.total_users);
    expect(bamako.security).toEqual(all.security);
    expect(bamako.calculation_info.filters).toEqual({ period: 'all', from: null, to: null, city: 'Bamako', specialty: null });
  });
});

describe('kpis', () => {
  it('business and operational KPIs equal SQL on Postgres; cac uses the configured spend', async () => {
    for (const filters of FILTERS) {
      const { status, body } = await get(`${BASE}/kpis/?${new URLSearchParams(filters)}`);
      expect(status).toBe(200);
      const query = queryOf(filters, body.calculation_info.last_calculation);
      const expected = await kpisOnPostgres(db.pool, query, { acquisitionSpendXof: SPEND });
      // basis is a label for humans: checked for what it must say, not word for word.
      const { basis, ...cac } = body.business.cac;
      const { basis: _, ...expectedCac } = expected.business.cac;
      expect({ ...body, business: { ...body.business, cac }, technical: undefined, calculation_info: undefined }, label(filters)).toEqual({
        ...expected,
        business: { ...expected.business, cac: expectedCac },
      });
      expect(basis).toContain('ACQUISITION_SPEND_XOF');
      expect(body.business.cac.spend_xof).toBe(SPEND);
    }
  });

  it('technical KPIs count the requests the API answered, their errors and its uptime', async () => {
    const before = (await get(`${BASE}/kpis/`)).body.technical;
    for (let i = 0; i < 5; i++) expect((await get(`${BASE}/requests/?period=1y`)).status).toBe(400);
    const after = (await get(`${BASE}/kpis/`)).body.technical;
    // The 5 refused requests and the first kpis request itself, recorded once it was answered.
    expect(after.requests - before.requests).toBe(6);
    const clientErrors = (kpi: { requests: number; client_error_rate: number }) => Math.round((kpi.requests * kpi.client_error_rate) / 100);
    expect(clientErrors(after) - clientErrors(before)).toBe(5);
    expect(after.response_time_ms.p50).toBeGreaterThan(0);
    expect(after.response_time_ms.p50).toBeLessThanOrEqual(after.response_time_ms.p95);
    expect(after.response_time_ms.p95).toBeLessThanOrEqual(after.response_time_ms.p99);
    expect(after.uptime.minutes_up).toBeGreaterThanOrEqual(1);
    expect(after.uptime.availability_percent).toBeGreaterThan(0);
    expect(after.uptime.availability_percent).toBeLessThanOrEqual(100);
    expect(after.latency.ingest_lag_seconds).not.toBeNull();
    expect(after.samples_dropped).toBe(0);
    const rows = await runtime.clickhouse.query<{ route: string; n: string }>(
      "SELECT route, count() AS n FROM api_requests WHERE status = 400 GROUP BY route",
    );
    expect(rows.map((row) => ({ route: row.route, n: Number(row.n) }))).toEqual([{ route: '/depannage/api/statistics/:section', n: 5 }]);
  });
});

describe('bad parameters are a 400 naming the parameter, on every endpoint', () => {
  const cases: Array<[string, string]> = [
    ['period=1y', 'period'],
    ['period=7d&period=30d', 'period'],
    ['period=', 'period'],
    ['from=yesterday', 'from'],
    ['from=2026-02-30', 'from'],
    ['from=2026-11-01T10:00:00', 'from'],
    ['from=1850-01-01', 'from'],
    ['to=2400-01-01', 'to'],
    ['from=2026-11-10&to=2026-11-01', 'to'],
    ['from=2026-11-10T00:00:00Z&to=2026-11-10T00:00:00Z', 'to'],
    ['period=7d&from=2026-11-01', 'period'],
    ['city=', 'city'],
    [`city=${'x'.repeat(101)}`, 'city'],
    [`specialty=${'x'.repeat(51)}`, 'specialty'],
    ['cty=Bamako', ''],
  ];
  for (const endpoint of ['global_statistics', 'kpis', ...SECTIONS]) {
    it(endpoint, async () => {
      for (const [query, parameter] of cases) {
        const { status, body } = await get(`${BASE}/${endpoint}/?${query}`);
        expect(status, `${endpoint}?${query}`).toBe(400);
        expect(body.detail, `${endpoint}?${query}`).toContain(parameter);
        expect(body.valid, `${endpoint}?${query}`).toBeDefined();
      }
    });
  }

  it('an unknown section is a 404 listing the endpoints', async () => {
    const { status, body } = await get(`${BASE}/revenue/`);
    expect(status).toBe(404);
    expect(body.valid).toContain('geography');
  });

  it('real_time_stats takes no filter', async () => {
    expect((await get(`${BASE}/real_time_stats/?period=7d`)).status).toBe(400);
  });
});
