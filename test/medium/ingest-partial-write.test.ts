// A batch whose write fails for one table while another table's write is still on its way (a slow
// insert; a real fault on a renamed table, not a mock): the ingest must not rebuild the derived
// tables until every part of the failed batch has ended. A part that lands after the rebuild would
// add its +1 on top of a signed log and aggregates rebuilt from a state that already held it: the
// aggregate counts the change twice while the signed log, deduplicated by its merges, looks right.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Ingest } from '../../apps/ingest/src/ingest.js';
import { seedDemoData } from '../../apps/demo/src/seed.js';
import { HeldInserts } from '../factories/clickhouse-wrappers.js';
import { createTestClickHouse, createTestDatabase, uniqueName, type TestClickHouse, type TestDatabase } from '../factories/databases.js';

let db: TestDatabase;
let ch: TestClickHouse;
let engine: HeldInserts;
let ingest: Ingest;

beforeAll(async () => {
  db = await createTestDatabase();
  ch = await createTestClickHouse();
  engine = new HeldInserts(ch.clickhouse);
  await seedDemoData(db.pool, { requests: 200, seed: 21 });
  const slot = uniqueName('slot');
  ingest = new Ingest({ databaseUrl: db.url, clickhouse: engine, slot, publication: slot, batchRows: 100, batchDelayMs: 5 });
  await ingest.start();
});

afterAll(async () => {
  await ingest?.stop();
  await db?.drop();
  await ch?.destroy();
});

async function requestsByStatus(): Promise<{ postgres: Record<string, number>; aggregate: Record<string, number> }> {
  const { rows } = await db.pool.query<{ status: string; n: string }>('SELECT status, count(*) AS n FROM depannage_repairrequest GROUP BY status');
  const aggregate = await ch.clickhouse.query<{ status: string; n: string }>(
    'SELECT status, sum(requests) AS n FROM agg_requests_daily GROUP BY status HAVING n != 0',
  );
  const byStatus = (list: Array<{ status: string; n: string }>) => Object.fromEntries(list.map((row) => [row.status, Number(row.n)]).sort());
  return { postgres: byStatus(rows), aggregate: byStatus(aggregate) };
}

it('a failed batch is rebuilt only once all of its writes have ended: a slow part counts once', async () => {
  expect((await requestsByStatus()).aggregate).toEqual((await requestsByStatus()).postgres);
  const slow = engine.hold('depannage_repairrequest_signed');
  await ch.clickhouse.command('RENAME TABLE depannage_payment TO depannage_payment_away');
  // One transaction, so one batch: a new request (its +1 goes to the held signed insert) and a
  // payment change (its write fails on the missing table).
  const client = await db.pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(
      `INSERT INTO depannage_repairrequest (title, specialty_needed, address, city, client_id, status, created_at)
       VALUES ('slow part', 'plumber', 'a', 'Bamako', (SELECT id FROM depannage_client ORDER BY id LIMIT 1), 'pending', now())`,
    );
    await client.query(`UPDATE depannage_payment SET amount = amount + 1 WHERE id = (SELECT min(id) FROM depannage_payment)`);
    await client.query('COMMIT');
  } finally {
    client.release();
  }
  await slow.reached;
  // The payment part has failed (or is about to); the table comes back, so a rebuild could succeed.
  await new Promise((resolve) => setTimeout(resolve, 300));
  await ch.clickhouse.command('RENAME TABLE depannage_payment_away TO depannage_payment');
  // Time for a reconnect and a rebuild, were the ingest to start them with the slow part still out.
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  slow.release();
  await ingest.catchUp(60_000);
  const figures = await requestsByStatus();
  expect(figures.aggregate).toEqual(figures.postgres);
  const [signed] = await ch.clickhouse.query<{ n: string }>('SELECT sum(sign) AS n FROM depannage_repairrequest_signed');
  const { rows } = await db.pool.query<{ n: string }>('SELECT count(*) AS n FROM depannage_repairrequest');
  expect(Number(signed!.n)).toBe(Number(rows[0]!.n));
});
