// Pre-aggregated tables must stay exact under updates and deletes. A plain materialized view is an
// insert trigger and counts every version of a row (ClickHouse issues #36124, #48229); ours are fed
// a retraction of the previous image and the new image, so they hold the current state only.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Ingest } from '../../apps/ingest/src/ingest.js';
import { seedDemoData } from '../../apps/demo/src/seed.js';
import { createTestClickHouse, createTestDatabase, uniqueName, type TestClickHouse, type TestDatabase } from '../factories/databases.js';

let db: TestDatabase;
let ch: TestClickHouse;
let ingest: Ingest;
const slot = uniqueName('slot');

function newIngest(): Ingest {
  return new Ingest({ databaseUrl: db.url, clickhouse: ch.clickhouse, slot, publication: slot, batchRows: 50, batchDelayMs: 5 });
}

async function pgByStatus(): Promise<Record<string, number>> {
  const { rows } = await db.pool.query<{ status: string; n: string }>(
    'SELECT status, count(*) AS n FROM depannage_repairrequest GROUP BY status',
  );
  return Object.fromEntries(rows.map((row) => [row.status, Number(row.n)]));
}

async function aggregateByStatus(): Promise<Record<string, number>> {
  const rows = await ch.clickhouse.query<{ status: string; n: string }>(
    'SELECT status, sum(requests) AS n FROM agg_requests_daily GROUP BY status HAVING n != 0',
  );
  return Object.fromEntries(rows.map((row) => [row.status, Number(row.n)]));
}

beforeAll(async () => {
  db = await createTestDatabase();
  ch = await createTestClickHouse();
  await seedDemoData(db.pool, { requests: 500, seed: 8 });
  ingest = newIngest();
  await ingest.start();
  // What a plain materialized view does: count every row version that is inserted.
  await ch.clickhouse.command(
    `CREATE MATERIALIZED VIEW naive_requests_by_status ENGINE = SummingMergeTree ORDER BY status
     AS SELECT status, count() AS n FROM depannage_repairrequest GROUP BY status`,
  );
});

afterAll(async () => {
  await ingest?.stop();
  await db?.drop();
  await ch?.destroy();
});

it('counts each request once after many updates, in one transaction and across batches', async () => {
  // Every request changes status five times, in separate transactions, then once more in a
  // transaction that changes it three times.
  for (const status of ['assigned', 'in_progress', 'completed', 'cancelled', 'pending']) {
    await db.pool.query('UPDATE depannage_repairrequest SET status = $1', [status]);
  }
  await db.pool.query(`BEGIN;
    UPDATE depannage_repairrequest SET status = 'assigned' WHERE id % 2 = 0;
    UPDATE depannage_repairrequest SET status = 'completed' WHERE id % 3 = 0;
    UPDATE depannage_repairrequest SET status = 'bizarre' WHERE id % 5 = 0;
    COMMIT;`);
  await ingest.catchUp();
  expect(await aggregateByStatus()).toEqual(await pgByStatus());
  // The plain MV counted every version: several times the real number of requests.
  const [naive] = await ch.clickhouse.query<{ n: string }>('SELECT sum(n) AS n FROM naive_requests_by_status');
  expect(Number(naive!.n)).toBeGreaterThan(2 * 500);
});

it('forgets deleted rows and moves a row whose day changed', async () => {
  await db.pool.query(`DELETE FROM depannage_payment WHERE request_id IN (SELECT id FROM depannage_repairrequest WHERE id % 4 = 0)`);
  await db.pool.query(`DELETE FROM depannage_review WHERE request_id IN (SELECT id FROM depannage_repairrequest WHERE id % 4 = 0)`);
  await db.pool.query(`DELETE FROM depannage_repairrequest WHERE id % 4 = 0`);
  await db.pool.query(`UPDATE depannage_repairrequest SET created_at = created_at - interval '3 days' WHERE id % 7 = 0`);
  await ingest.catchUp();
  expect(await aggregateByStatus()).toEqual(await pgByStatus());
  const days = await ch.clickhouse.query<{ day: string; n: string }>(
    `SELECT toString(day) AS day, sum(requests) AS n FROM agg_requests_daily GROUP BY day HAVING n != 0 ORDER BY day`,
  );
  const { rows } = await db.pool.query<{ day: string; n: string }>(
    `SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, count(*) AS n FROM depannage_repairrequest GROUP BY 1 ORDER BY 1`,
  );
  expect(days.map((d) => [d.day, Number(d.n)])).toEqual(rows.map((r) => [r.day, Number(r.n)]));
  const [money] = await ch.clickhouse.query<{ amount: string }>(
    `SELECT toString(sum(amount)) AS amount FROM agg_payments_daily WHERE status = 'completed'`,
  );
  const { rows: pgMoney } = await db.pool.query<{ amount: string }>(
    `SELECT coalesce(sum(amount), 0)::text AS amount FROM depannage_payment WHERE status = 'completed'`,
  );
  expect(Number(money!.amount)).toBe(Number(pgMoney[0]!.amount));
});

it('rebuilds the aggregates identically after an unclean stop', async () => {
  const before = await aggregateByStatus();
  // Simulate a crash: the derived tables are marked inconsistent, and one is damaged.
  await ingest.stop();
  await ch.clickhouse.command(`INSERT INTO _ingest_state (key, value, updated_at) VALUES ('derived', '{"consistent":false}', now64(6))`);
  await ch.clickhouse.command(`INSERT INTO agg_requests_daily (day, status, requests) VALUES (today(), 'pending', 1000)`);
  ingest = newIngest();
  await ingest.start();
  expect(await aggregateByStatus()).toEqual(before);
  expect(await aggregateByStatus()).toEqual(await pgByStatus());
});
