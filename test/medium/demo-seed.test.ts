// Medium test of the demo data: the bulk seed, the live simulator and the test workload,
// against real Postgres databases created (and dropped) on the test server.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPERATIONAL_TABLES, createOperationalSchema } from '../../apps/demo/src/operational-schema.js';
import { seedDemoData, type SeedSummary } from '../../apps/demo/src/seed.js';
import { Simulator } from '../../apps/demo/src/simulator.js';
import { dropDatabase } from '../factories/databases.js';
import { runRandomWorkload } from '../factories/workload.js';

const ADMIN_URL = process.env.DATABASE_TEST_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const NOW = new Date('2026-01-15T10:30:00.000Z');
const REQUESTS = 2000;

const created: string[] = [];

async function withAdmin(work: (admin: pg.Client) => Promise<unknown>): Promise<void> {
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  try {
    await work(admin);
  } finally {
    await admin.end();
  }
}

async function adminQuery(sql: string): Promise<void> {
  await withAdmin((admin) => admin.query(sql));
}

async function freshDatabase(): Promise<pg.Pool> {
  const name = `demo_test_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  await adminQuery(`CREATE DATABASE ${name}`);
  created.push(name);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return new pg.Pool({ connectionString: url.toString(), max: 4 });
}

/** Index and constraint definitions of the operational tables, to check the seed restores them. */
async function schemaShape(pool: pg.Pool): Promise<string[]> {
  const { rows } = await pool.query<{ item: string }>(
    `SELECT 'index ' || indexname || ': ' || indexdef AS item FROM pg_indexes WHERE schemaname = 'public'
     UNION ALL
     SELECT 'constraint ' || conname || ' on ' || conrelid::regclass::text || ': ' || pg_get_constraintdef(oid)
       FROM pg_constraint WHERE connamespace = 'public'::regnamespace
     ORDER BY 1`,
  );
  return rows.map((row) => row.item);
}

async function tableDigests(pool: pg.Pool): Promise<Record<string, string>> {
  const digests: Record<string, string> = {};
  for (const table of OPERATIONAL_TABLES) {
    const { rows } = await pool.query<{ digest: string }>(
      `SELECT md5(string_agg(t::text, E'\\n' ORDER BY t.id)) AS digest FROM ${table} t`);
    digests[table] = rows[0]!.digest;
  }
  return digests;
}

async function distinctValues(pool: pg.Pool, table: string, column: string): Promise<string[]> {
  const { rows } = await pool.query<{ value: string }>(`SELECT DISTINCT ${column}::text AS value FROM ${table} WHERE ${column} IS NOT NULL`);
  return rows.map((row) => row.value);
}

async function scalar(pool: pg.Pool, sql: string): Promise<number> {
  const { rows } = await pool.query<{ n: string }>(sql);
  return Number(rows[0]!.n);
}

let pool: pg.Pool;
let summary: SeedSummary;
let shapeBeforeSeed: string[];

beforeAll(async () => {
  pool = await freshDatabase();
  await createOperationalSchema(pool);
  shapeBeforeSeed = await schemaShape(pool);
  summary = await seedDemoData(pool, { requests: REQUESTS, seed: 1, now: NOW });
});

afterAll(async () => {
  await pool?.end();
  for (const name of created) await withAdmin((admin) => dropDatabase(admin, name));
});

describe('seedDemoData', () => {
  it('fills every operational table', async () => {
    expect(summary.counts.depannage_repairrequest).toBe(REQUESTS);
    for (const table of OPERATIONAL_TABLES) {
      expect(summary.counts[table], table).toBeGreaterThan(0);
      expect(await scalar(pool, `SELECT count(*) AS n FROM ${table}`), table).toBe(summary.counts[table]);
    }
  });

  it('restores every index and constraint it set aside for the bulk load', async () => {
    expect(await schemaShape(pool)).toEqual(shapeBeforeSeed);
  });

  it('respects every foreign key', async () => {
    const orphans = await scalar(pool, `
      SELECT (SELECT count(*) FROM users_auditlog a WHERE a.user_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM users_user u WHERE u.id = a.user_id))
           + (SELECT count(*) FROM users_securitynotification s WHERE NOT EXISTS (SELECT 1 FROM users_user u WHERE u.id = s.user_id))
           + (SELECT count(*) FROM depannage_client c WHERE NOT EXISTS (SELECT 1 FROM users_user u WHERE u.id = c.user_id))
           + (SELECT count(*) FROM depannage_technician t WHERE NOT EXISTS (SELECT 1 FROM users_user u WHERE u.id = t.user_id))
           + (SELECT count(*) FROM depannage_repairrequest r WHERE NOT EXISTS (SELECT 1 FROM depannage_client c WHERE c.id = r.client_id))
           + (SELECT count(*) FROM depannage_repairrequest r WHERE r.technician_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM depannage_technician t WHERE t.id = r.technician_id))
           + (SELECT count(*) FROM depannage_review v WHERE NOT EXISTS (SELECT 1 FROM depannage_repairrequest r WHERE r.id = v.request_id AND r.client_id = v.client_id AND r.technician_id = v.technician_id))
           + (SELECT count(*) FROM depannage_payment p WHERE NOT EXISTS (SELECT 1 FROM depannage_repairrequest r WHERE r.id = p.request_id))
           + (SELECT count(*) FROM depannage_payment p WHERE NOT EXISTS (SELECT 1 FROM users_user u WHERE u.id = p.payer_id))
           + (SELECT count(*) FROM depannage_payment p WHERE NOT EXISTS (SELECT 1 FROM users_user u WHERE u.id = p.recipient_id)) AS n`);
    expect(orphans).toBe(0);
  });

  it('returns the superuser admin', async () => {
    const { rows } = await pool.query(`SELECT username, user_type, is_superuser, is_active FROM users_user WHERE id = $1`, [summary.adminUserId]);
    expect(rows[0]).toEqual({ username: 'admin', user_type: 'admin', is_superuser: true, is_active: true });
  });

  it('covers every status and the odd values found in live data', async () => {
    const statuses = await distinctValues(pool, 'depannage_repairrequest', 'status');
    expect(statuses).toEqual(expect.arrayContaining(['draft', 'pending', 'assigned', 'in_progress', 'completed', 'cancelled', 'on_hold']));
    expect(await distinctValues(pool, 'depannage_repairrequest', 'urgency_level')).toEqual(expect.arrayContaining(['normal', 'same_day', 'urgent', 'sos']));
    expect(await distinctValues(pool, 'depannage_repairrequest', 'city')).toEqual(expect.arrayContaining(['Bamako', 'Sikasso', 'Kayes', 'Ségou', 'Mopti', '']));
    const specialties = [
      ...(await distinctValues(pool, 'depannage_technician', 'specialty')),
      ...(await distinctValues(pool, 'depannage_repairrequest', 'specialty_needed')),
    ];
    expect(specialties).toEqual(expect.arrayContaining(['electrician', 'plumber', 'it', 'locksmith', 'other', 'plomberie', 'Electricité']));
    expect(await distinctValues(pool, 'depannage_payment', 'method')).toEqual(
      expect.arrayContaining(['orange_money', 'moov_money', 'cash', 'bank_transfer', 'mobile_money', 'espece', 'carte_bancaire']));
    expect(await distinctValues(pool, 'depannage_payment', 'payment_type')).toEqual(expect.arrayContaining(['client_payment', 'technician_payout', 'refund']));
    expect(await distinctValues(pool, 'depannage_payment', 'status')).toEqual(expect.arrayContaining(['completed', 'pending', 'failed', 'refunded']));
    expect(await distinctValues(pool, 'depannage_review', 'moderation_status')).toEqual(expect.arrayContaining(['approved', 'pending', 'rejected', 'flagged']));
    expect(await distinctValues(pool, 'users_auditlog', 'event_type')).toEqual(
      expect.arrayContaining(['login', 'logout', 'otp_sent', 'otp_verified', 'password_reset']));
    expect(await distinctValues(pool, 'users_user', 'user_type')).toEqual(expect.arrayContaining(['client', 'technician', 'admin']));
    expect(await scalar(pool, `SELECT count(*) AS n FROM depannage_repairrequest WHERE status = 'completed' AND final_price IS NULL`)).toBeGreaterThan(0);
    expect(await scalar(pool, `SELECT count(*) AS n FROM users_user WHERE NOT is_active`)).toBeGreaterThan(0);
    expect(await scalar(pool, `SELECT count(*) AS n FROM users_auditlog WHERE user_id IS NULL AND status = 'failure'`)).toBeGreaterThan(0);
    expect(await scalar(pool, `SELECT max(risk_score) AS n FROM users_auditlog`)).toBeLessThanOrEqual(130);
    expect(await scalar(pool, `SELECT count(*) AS n FROM users_auditlog WHERE risk_score >= 80`)).toBeGreaterThan(0);
  });

  it('keeps lifecycles, times and money consistent', async () => {
    const now = `'${NOW.toISOString()}'::timestamptz`;
    const broken = await pool.query(`
      SELECT
        count(*) FILTER (WHERE created_at > ${now} OR updated_at > ${now} OR assigned_at > ${now} OR completed_at > ${now}) AS future,
        count(*) FILTER (WHERE status = 'pending' AND (technician_id IS NOT NULL OR assigned_at IS NOT NULL)) AS pending_assigned,
        count(*) FILTER (WHERE status IN ('assigned', 'in_progress', 'completed') AND technician_id IS NULL) AS missing_technician,
        count(*) FILTER (WHERE status = 'completed' AND completed_at IS NULL) AS completed_without_time,
        count(*) FILTER (WHERE status <> 'completed' AND (completed_at IS NOT NULL OR final_price IS NOT NULL)) AS early_completion,
        count(*) FILTER (WHERE completed_at < started_at OR started_at < assigned_at) AS out_of_order,
        count(*) FILTER (WHERE final_price <> round(final_price) OR final_price < 5000 OR final_price > 150000) AS odd_price
      FROM depannage_repairrequest`);
    expect(broken.rows[0]).toEqual({
      future: '0', pending_assigned: '0', missing_technician: '0', completed_without_time: '0', early_completion: '0',
      out_of_order: '0', odd_price: '0',
    });
    // Payouts are 80-90 % of the client payment of the same request.
    const payouts = await pool.query<{ ratio_min: string; ratio_max: string }>(`
      SELECT min(o.amount / c.amount) AS ratio_min, max(o.amount / c.amount) AS ratio_max
        FROM depannage_payment o
        JOIN depannage_payment c ON c.request_id = o.request_id AND c.payment_type = 'client_payment' AND c.status = 'completed'
       WHERE o.payment_type = 'technician_payout'`);
    expect(Number(payouts.rows[0]!.ratio_min)).toBeGreaterThanOrEqual(0.79);
    expect(Number(payouts.rows[0]!.ratio_max)).toBeLessThanOrEqual(0.91);
    // Recent activity exists for the 24h / 7d windows.
    expect(await scalar(pool, `SELECT count(*) AS n FROM depannage_repairrequest WHERE created_at >= ${now} - interval '24 hours'`)).toBeGreaterThan(0);
    expect(await scalar(pool, `SELECT count(*) AS n FROM users_user WHERE last_login >= ${now} - interval '24 hours'`)).toBeGreaterThan(0);
  });

  it('is deterministic: the same seed and instant give the same rows', async () => {
    const again = await freshDatabase();
    try {
      await createOperationalSchema(again);
      const second = await seedDemoData(again, { requests: REQUESTS, seed: 1, now: NOW });
      expect(second.counts).toEqual(summary.counts);
      expect(second.adminUserId).toBe(summary.adminUserId);
      expect(await tableDigests(again)).toEqual(await tableDigests(pool));
    } finally {
      await again.end();
    }
  });

  it('refuses to seed tables that already hold rows', async () => {
    await expect(seedDemoData(pool, { requests: 10, seed: 2, now: NOW })).rejects.toThrow(/not empty/);
  });
});

// These run after the seed checks above (vitest runs a file's tests in order) and mutate the data.
describe('Simulator and workload on the seeded database', () => {
  it('runs 50 simulator steps, one transaction each, without failing', async () => {
    const simulator = new Simulator(pool, { ratePerSecond: 10, seed: 3, log: () => undefined });
    const kinds = new Set<string>();
    for (let i = 0; i < 50; i++) kinds.add((await simulator.step()).kind);
    expect(simulator.stats.steps).toBe(50);
    expect(simulator.stats.failed).toBe(0);
    expect(kinds.size).toBeGreaterThan(5);
    // Rows written by the simulator carry the database's clock, not the seed's reference instant.
    expect(await scalar(pool, `SELECT count(*) AS n FROM users_auditlog WHERE "timestamp" > now() - interval '5 minutes'`)).toBeGreaterThan(0);
  });

  it('runs on its own timer and stops cleanly', async () => {
    const messages: string[] = [];
    const simulator = new Simulator(pool, { ratePerSecond: 40, seed: 4, log: (msg) => messages.push(msg) });
    simulator.start();
    await new Promise((resolve) => setTimeout(resolve, 500));
    await simulator.stop();
    const { steps = 0, failed = 0 } = simulator.stats;
    expect(steps).toBeGreaterThan(3);
    expect(failed).toBe(0);
    expect(messages.filter((msg) => msg.startsWith('simulator action'))).toEqual([]);
  });

  it('logs a failing step and keeps going', async () => {
    const brokenPool = new pg.Pool({ connectionString: 'postgres://postgres@127.0.0.1:1/none', connectionTimeoutMillis: 500 });
    const messages: string[] = [];
    const simulator = new Simulator(brokenPool, { ratePerSecond: 50, seed: 5, log: (msg) => messages.push(msg) });
    simulator.start();
    await new Promise((resolve) => setTimeout(resolve, 300));
    await simulator.stop();
    await brokenPool.end();
    expect(simulator.stats.failed).toBeGreaterThanOrEqual(2);
    expect(messages.filter((msg) => /^simulator action \w+ failed: /.test(msg)).length).toBeGreaterThanOrEqual(2);
  });

  it('runs a 200-step random workload with every special case', async () => {
    const done = await runRandomWorkload(pool, { steps: 200, seed: 7 });
    expect(done.steps).toBe(200);
    expect(done.failed).toBe(0);
    expect(done.request_updated_several_times_in_one_transaction).toBe(1);
    expect(done.existing_request_updated_several_times_in_one_transaction).toBe(1);
    expect(done.insert_then_delete_in_one_transaction).toBe(1);
    expect(done.null_final_price).toBe(1);
    expect(done.unknown_enum_values).toBe(1);
    expect(done.multi_row_update_rows).toBeGreaterThan(50);
    expect(await scalar(pool, `SELECT count(*) AS n FROM depannage_repairrequest WHERE specialty_needed = 'soudure' AND status = 'on_hold'`)).toBe(1);
    expect(await scalar(pool, `SELECT count(*) AS n FROM depannage_payment WHERE method = 'wave'`)).toBeGreaterThan(0);
  });
});
