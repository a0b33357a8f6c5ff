// Every metric of global_statistics and real_time_stats, served over HTTP from ClickHouse after
// CDC, must equal the same metric computed by plain SQL on the operational Postgres, after a
// random workload of inserts, updates and deletes. Also: auth matrix, bad parameters, health.
import jwt from 'jsonwebtoken';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoData } from '../../apps/demo/src/seed.js';
import { signAccessToken } from '../../libs/access-token/src/sign.js';
import type { GlobalStatistics, Period, RealTimeStats } from '../../libs/metrics/src/types.js';
import { PERIODS } from '../../libs/metrics/src/types.js';
import { createTestDatabase, type TestDatabase } from '../factories/databases.js';
import { startTestRuntime, TEST_JWT_SECRET, type TestRuntime } from '../factories/runtime.js';
import { runRandomWorkload } from '../factories/workload.js';
import { globalStatisticsOnPostgres, realTimeStatsOnPostgres } from '../oracle/postgres-oracle.js';

let db: TestDatabase;
let runtime: TestRuntime;
let adminToken: string;

const GLOBAL = '/depannage/api/statistics/global_statistics/';
const REALTIME = '/depannage/api/statistics/real_time_stats/';

async function get(path: string, token: string | null = adminToken): Promise<{ status: number; body: any; headers: Headers }> {
  const response = await fetch(runtime.url + path, { headers: token === null ? {} : { Authorization: `Bearer ${token}` } });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null, headers: response.headers };
}

async function userId(where: string): Promise<number> {
  const { rows } = await db.pool.query<{ id: string }>(`SELECT id FROM users_user WHERE ${where} ORDER BY id LIMIT 1`);
  if (!rows[0]) throw new Error(`no user where ${where}`);
  return Number(rows[0].id);
}

/**
 * Rows a minute inside and a minute outside each rolling window (24 h, 7 d, 30 d): they fall in the
 * partial first day that is read from the signed log rather than the daily aggregates.
 */
async function insertWindowEdges(): Promise<void> {
  const client = await userId("user_type = 'client'");
  const { rows } = await db.pool.query<{ client: string; technician: string; request: string }>(
    `SELECT (SELECT id FROM depannage_client ORDER BY id LIMIT 1) AS client,
            (SELECT id FROM depannage_technician ORDER BY id LIMIT 1) AS technician,
            (SELECT id FROM depannage_repairrequest ORDER BY id LIMIT 1) AS request`,
  );
  const { client: clientId, technician, request } = rows[0]!;
  for (const window of ['24 hours', '7 days', '30 days']) {
    for (const [edge, label] of [['1 minute', 'in'], ['-1 minute', 'out']] as const) {
      const at = `now() - interval '${window}' + interval '${edge}'`;
      const name = `edge_${window.replace(' ', '')}_${label}`;
      await db.pool.query(
        `INSERT INTO users_user (username, email, user_type, created_at, last_login) VALUES ($1::text, $1::text || '@edge.ml', 'client', ${at}, ${at})`,
        [name],
      );
      await db.pool.query(
        `INSERT INTO depannage_repairrequest (title, specialty_needed, address, city, client_id, technician_id, status, created_at, assigned_at, completed_at, final_price)
         VALUES ('edge', 'plumber', 'a', 'Kayes', $1, $2, 'completed', ${at}, ${at} + interval '10 minutes', ${at} + interval '20 seconds', 12345.67)`,
        [clientId, technician],
      );
      await db.pool.query(
        `INSERT INTO depannage_payment (amount, method, payment_type, status, payer_id, recipient_id, request_id, created_at)
         VALUES (777.77, 'orange_money', 'client_payment', 'completed', $1, $1, $2, ${at})`,
        [client, request],
      );
      await db.pool.query(
        `INSERT INTO depannage_review (rating, moderation_status, client_id, request_id, technician_id, created_at)
         SELECT 5, 'approved', $1, r.id, $2, ${at} FROM depannage_repairrequest r
         WHERE NOT EXISTS (SELECT 1 FROM depannage_review v WHERE v.request_id = r.id) ORDER BY r.id LIMIT 1`,
        [clientId, technician],
      );
      await db.pool.query(
        `INSERT INTO users_auditlog (ip_address, event_type, status, "timestamp", user_id) VALUES ('10.0.0.1', 'login', 'failure', ${at}, $1)`,
        [client],
      );
      await db.pool.query(`INSERT INTO users_securitynotification (subject, message, user_id, sent_at) VALUES ('s', 'm', $1, ${at})`, [client]);
    }
  }
}

beforeAll(async () => {
  db = await createTestDatabase();
  await seedDemoData(db.pool, { requests: 3000, seed: 11 });
  runtime = await startTestRuntime(db);
  adminToken = signAccessToken(await userId("user_type = 'admin' AND is_active"), TEST_JWT_SECRET, 600);
  // Changes after the snapshot: they reach ClickHouse through the stream.
  await runRandomWorkload(db.pool, { steps: 600, seed: 5 });
  await insertWindowEdges();
  await runtime.ingest.catchUp(60_000);
});

afterAll(async () => {
  await runtime?.destroy();
  await db?.drop();
});

describe('global_statistics equals SQL on Postgres', () => {
  for (const period of PERIODS) {
    it(`period=${period}`, async () => {
      const { status, body } = await get(`${GLOBAL}?period=${period}`);
      expect(status).toBe(200);
      const served = body as GlobalStatistics;
      const now = new Date(served.calculation_info.last_calculation);
      const expected = await globalStatisticsOnPostgres(db.pool, { period: period as Period, now });
      const { calculation_info, ...figures } = served;
      expect(figures).toEqual(expected);
      // Key order is part of the contract for trends.
      expect(Object.keys(figures.trends.daily)).toEqual(Object.keys(expected.trends.daily));
      expect(Object.keys(figures.trends.monthly)).toEqual(Object.keys(expected.trends.monthly));
      expect(calculation_info.cached).toBe(false);
      expect(calculation_info.data_as_of).not.toBeNull();
      expect(figures.requests.total).toBeGreaterThan(0);
    });
  }

  it('stays exact after more updates and deletes', async () => {
    await runRandomWorkload(db.pool, { steps: 300, seed: 99 });
    await db.pool.query(`DELETE FROM depannage_payment WHERE id IN (SELECT id FROM depannage_payment ORDER BY id DESC LIMIT 20)`);
    await db.pool.query(`UPDATE depannage_review SET moderation_status = 'approved' WHERE moderation_status = 'pending'`);
    await runtime.ingest.catchUp(60_000);
    const { body } = await get(GLOBAL);
    const { calculation_info, ...figures } = body as GlobalStatistics;
    expect(figures).toEqual(await globalStatisticsOnPostgres(db.pool, { period: 'all', now: new Date(calculation_info.last_calculation) }));
  });

  it('real_time_stats equals SQL on Postgres', async () => {
    const { status, body } = await get(REALTIME);
    expect(status).toBe(200);
    const { current_time, ...figures } = body as RealTimeStats;
    expect(current_time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(figures).toEqual(await realTimeStatsOnPostgres(db.pool, { now: new Date(current_time) }));
  });
});

describe('auth', () => {
  it('refuses a missing token with 401 and WWW-Authenticate', async () => {
    const response = await get(GLOBAL, null);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="api"');
    expect(response.body.detail).toBeTruthy();
  });

  it('refuses a token signed with another secret', async () => {
    const forged = signAccessToken(await userId("user_type = 'admin'"), 'another-secret', 600);
    expect((await get(GLOBAL, forged)).status).toBe(401);
  });

  it('refuses an expired token', async () => {
    const id = await userId("user_type = 'admin' AND is_active");
    const expired = jwt.sign({ token_type: 'access', user_id: id, jti: 'x', iat: 1_600_000_000, exp: 1_600_000_600 }, TEST_JWT_SECRET);
    const response = await get(GLOBAL, expired);
    expect(response.status).toBe(401);
    expect(response.body.detail).toMatch(/expired/i);
  });

  it('refuses a refresh token', async () => {
    const id = await userId("user_type = 'admin' AND is_active");
    const now = Math.floor(Date.now() / 1000);
    const refresh = jwt.sign({ token_type: 'refresh', user_id: id, jti: 'y', iat: now, exp: now + 600 }, TEST_JWT_SECRET);
    expect((await get(GLOBAL, refresh)).status).toBe(401);
  });

  it('refuses an unknown user', async () => {
    expect((await get(GLOBAL, signAccessToken(987_654_321, TEST_JWT_SECRET, 600))).status).toBe(401);
  });

  it('forbids clients and technicians with 403', async () => {
    for (const type of ['client', 'technician']) {
      const token = signAccessToken(await userId(`user_type = '${type}' AND NOT is_staff AND is_active`), TEST_JWT_SECRET, 600);
      const response = await get(GLOBAL, token);
      expect(response.status).toBe(403);
      expect(response.body).toEqual({ error: 'Accès non autorisé' });
      expect((await get(REALTIME, token)).status).toBe(403);
    }
  });

  it('admits staff who are not admins, with user_id as a string claim', async () => {
    // A client no earlier test looked up: a looked-up user is trusted AUTH_USER_CACHE_SECONDS.
    const { rows } = await db.pool.query<{ id: string }>("SELECT id FROM users_user WHERE user_type = 'client' AND is_active ORDER BY id DESC LIMIT 1");
    const id = Number(rows[0]!.id);
    await db.pool.query('UPDATE users_user SET is_staff = true WHERE id = $1', [id]);
    const now = Math.floor(Date.now() / 1000);
    const token = jwt.sign({ token_type: 'access', user_id: String(id), jti: 'z', iat: now, exp: now + 600 }, TEST_JWT_SECRET);
    expect((await get(REALTIME, token)).status).toBe(200);
  });

  it('a deactivated admin keeps access at most AUTH_USER_CACHE_SECONDS (5 s), then gets a 401', async () => {
    const { rows } = await db.pool.query<{ id: string }>(
      `INSERT INTO users_user (username, email, user_type, created_at) VALUES ('admin_to_deactivate', 'a@d.ml', 'admin', now()) RETURNING id`,
    );
    const token = signAccessToken(Number(rows[0]!.id), TEST_JWT_SECRET, 600);
    expect((await get(REALTIME, token)).status).toBe(200);
    await db.pool.query('UPDATE users_user SET is_active = false WHERE id = $1', [rows[0]!.id]);
    const deactivatedAt = Date.now();
    let status = 200;
    while (status === 200 && Date.now() - deactivatedAt < 10_000) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      status = (await get(REALTIME, token)).status;
    }
    expect(status).toBe(401);
    const elapsed = Date.now() - deactivatedAt;
    expect(elapsed).toBeLessThanOrEqual(5_000 + 1_000);
  });
});

describe('bad parameters', () => {
  it('rejects an unknown period with the valid values', async () => {
    const response = await get(`${GLOBAL}?period=1y`);
    expect(response.status).toBe(400);
    expect(response.body.detail).toContain('1y');
    expect(response.body.valid).toEqual(['24h', '7d', '30d', 'all']);
  });

  it('rejects a repeated period', async () => {
    expect((await get(`${GLOBAL}?period=7d&period=30d`)).status).toBe(400);
  });

  it('answers 405 to writes', async () => {
    const response = await fetch(runtime.url + GLOBAL, { method: 'POST', headers: { Authorization: `Bearer ${adminToken}` } });
    expect(response.status).toBe(405);
    expect(((await response.json()) as { detail: string }).detail).toContain('POST');
  });

  it('rejects unknown parameters', async () => {
    const response = await get(`${GLOBAL}?periode=7d`);
    expect(response.status).toBe(400);
    expect(response.body.detail).toContain('periode');
    expect((await get(`${REALTIME}?period=7d`)).status).toBe(400);
  });
});

describe('health', () => {
  it('reports components, ingest state and snapshot to administrators', async () => {
    const response = await get('/health/details');
    expect(response.status).toBe(200);
    expect(response.body.status).toBe('ok');
    expect(response.body.postgres.ok).toBe(true);
    expect(response.body.clickhouse).toMatchObject({ ok: true, engine: 'embedded' });
    expect(response.body.ingest.state).toBe('streaming');
    expect(response.body.ingest.snapshot.status).toBe('done');
    expect(response.body.ingest.snapshot.rowsDone).toBeGreaterThan(3000);
  });

  it('serves the OpenAPI document', async () => {
    const response = await fetch(`${runtime.url}/docs-json`);
    expect(response.status).toBe(200);
    const document = (await response.json()) as { paths: Record<string, unknown> };
    expect(Object.keys(document.paths)).toContain('/depannage/api/statistics/global_statistics');
  });
});
