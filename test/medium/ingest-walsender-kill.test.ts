// The replication connection dropped by the server (a walsender killed, as wal_sender_timeout does
// under load) again and again while batches are written: each time the ingest reconnects and
// Postgres resends everything after the last acknowledged position, so changes already applied
// arrive a second time and must add nothing. Found by the one-hour soak (bench/soak.ts: 795
// mismatches): a replayed change put its older image back in the ingest's image cache, and the
// replay of the row's next change then retracted that older image a second time. The signed log's
// merges (CollapsingMergeTree) hid the double entries; the aggregates fed from it kept them. Here
// the signed log is not merged, so a change written twice shows as a duplicate row.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Ingest } from '../../apps/ingest/src/ingest.js';
import { seedDemoData } from '../../apps/demo/src/seed.js';
import { createTestClickHouse, createTestDatabase, uniqueName, type TestClickHouse, type TestDatabase } from '../factories/databases.js';

let db: TestDatabase;
let ch: TestClickHouse;
let ingest: Ingest;
const slot = uniqueName('slot');

beforeAll(async () => {
  db = await createTestDatabase();
  ch = await createTestClickHouse();
  await seedDemoData(db.pool, { requests: 2000, seed: 21 });
  ingest = new Ingest({ databaseUrl: db.url, clickhouse: ch.clickhouse, slot, publication: slot, batchRows: 50, batchDelayMs: 5 });
  await ingest.start();
  await ingest.catchUp();
  // Unmerged, the log keeps a change written twice visible (merges would collapse it away).
  await ch.clickhouse.command('SYSTEM STOP MERGES depannage_repairrequest_signed');
}, 120_000);

afterAll(async () => {
  await ingest?.stop();
  await db?.drop();
  await ch?.destroy();
});

async function byStatus(): Promise<{ postgres: Record<string, number>; aggregate: Record<string, number>; state: Record<string, number> }> {
  const { rows } = await db.pool.query<{ status: string; n: string }>('SELECT status, count(*) AS n FROM depannage_repairrequest GROUP BY status');
  const aggregate = await ch.clickhouse.query<{ status: string; n: string }>(
    'SELECT status, sum(requests) AS n FROM agg_requests_daily GROUP BY status HAVING n != 0',
  );
  const state = await ch.clickhouse.query<{ status: string; n: string }>('SELECT status, count() AS n FROM depannage_repairrequest FINAL GROUP BY status');
  const asRecord = (list: Array<{ status: string; n: string }>) => Object.fromEntries(list.map((row) => [row.status, Number(row.n)]).sort());
  return { postgres: asRecord(rows), aggregate: asRecord(aggregate), state: asRecord(state) };
}

it('counts every change once although the walsender is killed again and again mid-stream', async () => {
  const statuses = ['pending', 'assigned', 'in_progress', 'completed', 'cancelled'];
  let writing = true;
  const writer = (async () => {
    for (let round = 0; writing; round++) {
      // Many small transactions, each moving a few requests to another status.
      await db.pool.query('UPDATE depannage_repairrequest SET status = $1 WHERE id % 97 = $2', [statuses[round % statuses.length], round % 97]);
      // Deletes too: a replayed older change of a deleted row must find the deletion's tombstone.
      if (round % 11 === 5) await db.pool.query('DELETE FROM depannage_repairrequest WHERE id = (SELECT max(id) FROM depannage_repairrequest)');
      if (round % 7 === 0) await db.pool.query(`INSERT INTO depannage_repairrequest (client_id, title, description, specialty_needed, status, city, address, created_at, updated_at)
        SELECT client_id, title, description, specialty_needed, 'pending', city, address, now(), now() FROM depannage_repairrequest WHERE id = $1`, [1 + (round % 500)]);
    }
  })();
  let killed = 0;
  for (let kill = 0; kill < 8; kill++) {
    await new Promise((resolve) => setTimeout(resolve, 700));
    // No row when the ingest is between two connections (its reconnect backoff).
    const { rowCount } = await db.pool.query(
      `SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = $1 AND active_pid IS NOT NULL`,
      [slot],
    );
    killed += rowCount ?? 0;
  }
  expect(killed, 'walsenders killed mid-stream').toBeGreaterThanOrEqual(3);
  writing = false;
  await writer;
  await ingest.catchUp();
  const figures = await byStatus();
  // Every version of a row enters the log once (+1) and leaves it at most once (-1).
  const dups = await ch.clickhouse.query<Record<string, unknown>>(
    `SELECT id, _version, sign, count() AS n FROM depannage_repairrequest_signed GROUP BY id, _version, sign HAVING n > 1 ORDER BY id LIMIT 20`,
  );
  expect(dups, 'changes written twice to the signed log').toEqual([]);
  // The signed log, summed per status, against Postgres: it holds (the aggregate fed from it does not).
  const signed = await ch.clickhouse.query<{ status: string; n: string }>(
    'SELECT status, sum(sign) AS n FROM depannage_repairrequest_signed GROUP BY status HAVING n != 0',
  );
  expect(Object.fromEntries(signed.map((row) => [row.status, Number(row.n)]).sort())).toEqual(figures.postgres);
  expect(figures.state).toEqual(figures.postgres);
  expect(figures.aggregate).toEqual(figures.postgres);
}, 240_000);
