// ClickHouse refuses writes in the middle of the stream (a table is renamed away, a real fault, not
// a mock): the ingest must stop acknowledging, reconnect with backoff, and once ClickHouse is back
// land every change exactly once, aggregates included.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Ingest } from '../../apps/ingest/src/ingest.js';
import { seedDemoData } from '../../apps/demo/src/seed.js';
import { createTestClickHouse, createTestDatabase, uniqueName, type TestClickHouse, type TestDatabase } from '../factories/databases.js';

let db: TestDatabase;
let ch: TestClickHouse;
let ingest: Ingest;

beforeAll(async () => {
  db = await createTestDatabase();
  ch = await createTestClickHouse();
  await seedDemoData(db.pool, { requests: 300, seed: 12 });
  const slot = uniqueName('slot');
  ingest = new Ingest({ databaseUrl: db.url, clickhouse: ch.clickhouse, slot, publication: slot, batchRows: 100, batchDelayMs: 5 });
  await ingest.start();
});

afterAll(async () => {
  await ingest?.stop();
  await db?.drop();
  await ch?.destroy();
});

async function payments(): Promise<{ postgres: [number, string]; state: [number, string]; aggregate: [number, string] }> {
  const { rows } = await db.pool.query<{ n: string; total: string }>(
    `SELECT count(*) AS n, coalesce(sum(amount), 0)::numeric(20,2)::text AS total FROM depannage_payment WHERE status = 'completed'`,
  );
  const [state] = await ch.clickhouse.query<{ n: string; total: string }>(
    `SELECT count() AS n, toString(sum(amount)) AS total FROM depannage_payment FINAL WHERE status = 'completed'`,
  );
  const [aggregate] = await ch.clickhouse.query<{ n: string; total: string }>(
    `SELECT sum(payments) AS n, toString(sum(amount)) AS total FROM agg_payments_daily WHERE status = 'completed'`,
  );
  const money = (text: string) => Number(text).toFixed(2);
  return {
    postgres: [Number(rows[0]!.n), money(rows[0]!.total)],
    state: [Number(state!.n), money(state!.total)],
    aggregate: [Number(aggregate!.n), money(aggregate!.total)],
  };
}

it('loses nothing and counts nothing twice when ClickHouse writes fail for a while', async () => {
  await ch.clickhouse.command('RENAME TABLE depannage_payment TO depannage_payment_away');
  await db.pool.query(`UPDATE depannage_repairrequest SET status = 'cancelled' WHERE id % 5 = 0`);
  await db.pool.query(`UPDATE depannage_payment SET status = 'completed', amount = amount + 1 WHERE id % 3 = 0`);
  await db.pool.query(`DELETE FROM depannage_payment WHERE id % 11 = 0`);
  const deadline = Date.now() + 30_000;
  while (ingest.status().state !== 'reconnecting') {
    if (Date.now() > deadline) throw new Error('the ingest never noticed the failed write');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  expect(ingest.status().lastError).toMatch(/depannage_payment/);
  // More changes while ClickHouse is still refusing.
  await db.pool.query(`UPDATE depannage_payment SET amount = amount + 2 WHERE id % 4 = 0`);
  await ch.clickhouse.command('RENAME TABLE depannage_payment_away TO depannage_payment');
  await ingest.catchUp();
  const figures = await payments();
  expect(figures.state).toEqual(figures.postgres);
  expect(figures.aggregate).toEqual(figures.postgres);
  const [requests] = await ch.clickhouse.query<{ n: string }>(`SELECT sum(requests) AS n FROM agg_requests_daily WHERE status = 'cancelled'`);
  const { rows } = await db.pool.query<{ n: string }>(`SELECT count(*) AS n FROM depannage_repairrequest WHERE status = 'cancelled'`);
  expect(Number(requests!.n)).toBe(Number(rows[0]!.n));
});
