// The ingest retracts a row's previous image from its cache of recently written images, or reads it
// from the state table. The tables of one batch are written concurrently, and one table's writes can
// evict another table's cached images: a row the cache held when its table's write began, and lost
// while that write waited on its lookup of the other rows, must still be retracted. Without that, its
// new image is added with no retraction (the request counted twice), which a 60-minute soak saw once
// the cache had filled up.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { BatchWriter } from '../../apps/ingest/src/apply.js';
import { emptyBatch, type Batch } from '../../apps/ingest/src/batch.js';
import { rowImageJson } from '../../apps/ingest/src/convert.js';
import { IngestStateStore } from '../../apps/ingest/src/state.js';
import { tableSpec } from '../../apps/ingest/src/tables.js';
import { HeldInserts } from '../factories/clickhouse-wrappers.js';
import { createTestClickHouse, type TestClickHouse } from '../factories/databases.js';

let ch: TestClickHouse;
let engine: HeldInserts;

beforeAll(async () => {
  ch = await createTestClickHouse();
  engine = new HeldInserts(ch.clickhouse);
});

afterAll(async () => {
  await ch?.destroy();
});

function request(id: number, status: string): string {
  const values = new Map<string, string | null>([
    ['id', String(id)],
    ['created_at', '2026-11-30 10:00:00+00'],
    ['status', status],
    ['specialty_needed', 'plumber'],
    ['priority', 'normal'],
    ['urgency_level', 'normal'],
    ['is_urgent', 'f'],
    ['city', 'Bamako'],
    ['latitude', null],
    ['longitude', null],
    ['assigned_at', null],
    ['started_at', null],
    ['completed_at', null],
    ['estimated_price', null],
    ['final_price', null],
    ['client_id', '1'],
    ['technician_id', null],
  ]);
  return rowImageJson(tableSpec('depannage_repairrequest')!, values);
}

function user(id: number): string {
  const values = new Map<string, string | null>([
    ['id', String(id)],
    ['username', `u${id}`],
    ['first_name', 'A'],
    ['last_name', 'B'],
    ['is_staff', 'f'],
    ['is_active', 't'],
    ['is_superuser', 'f'],
    ['user_type', 'client'],
    ['last_login', null],
    ['date_joined', '2026-11-30 10:00:00+00'],
    ['created_at', '2026-11-30 10:00:00+00'],
  ]);
  return rowImageJson(tableSpec('users_user')!, values);
}

function batch(version: bigint, tables: Record<string, Array<[number, string]>>): Batch {
  const built = emptyBatch();
  for (const [table, rows] of Object.entries(tables)) {
    built.rows.set(table, new Map(rows.map(([id, image]) => [String(id), { image, version }])));
    built.changes += rows.length;
  }
  built.transactions = 1;
  built.endLsn = version;
  return built;
}

it('a cached image evicted by another table of the same batch is still retracted', async () => {
  // Room for two images: the requests' two fill it.
  const writer = new BatchWriter(engine, new IngestStateStore(engine), 2);
  await writer.write(batch(100n, { depannage_repairrequest: [[1, request(1, 'pending')], [2, request(2, 'pending')]] }));

  // Request 1 changes (cached), request 3 is new (looked up, and that lookup is held), and a new
  // user is written meanwhile: caching its image evicts the oldest request image, request 1's.
  const lookup = engine.holdQuery((sql) => sql.includes('FROM depannage_repairrequest WHERE id IN'));
  const userWritten = engine.inserted('users_user');
  const written = writer.write(
    batch(200n, {
      depannage_repairrequest: [[1, request(1, 'completed')], [3, request(3, 'pending')]],
      users_user: [[7, user(7)]],
    }),
  );
  await lookup.reached;
  await userWritten;
  // The user's images are cached as soon as its writes end.
  await new Promise((resolve) => setTimeout(resolve, 50));
  lookup.release();
  await written;

  const signed = await ch.clickhouse.query<{ id: string; n: string }>(
    'SELECT id, sum(sign) AS n FROM depannage_repairrequest_signed GROUP BY id ORDER BY id',
  );
  expect(signed.map((row) => [Number(row.id), Number(row.n)])).toEqual([[1, 1], [2, 1], [3, 1]]);
  const byStatus = await ch.clickhouse.query<{ status: string; n: string }>(
    'SELECT status, sum(requests) AS n FROM agg_requests_daily GROUP BY status HAVING n != 0 ORDER BY status',
  );
  expect(byStatus.map((row) => [row.status, Number(row.n)])).toEqual([['completed', 1], ['pending', 2]]);
});
