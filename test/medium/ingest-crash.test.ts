// The ingest process is killed (SIGKILL) in the middle of a stream of changes, then restarted:
// every number must still equal SQL on Postgres — nothing lost, nothing counted twice.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { computeGlobalStatistics } from '../../apps/api/src/statistics/compute.js';
import { seedDemoData } from '../../apps/demo/src/seed.js';
import { EmbeddedClickHouse } from '../../libs/clickhouse/src/embedded.js';
import { fromRoot } from '../../libs/config/src/paths.js';
import { createTestDatabase, uniqueName, type TestDatabase } from '../factories/databases.js';
import { runRandomWorkload } from '../factories/workload.js';
import { globalStatisticsOnPostgres } from '../oracle/postgres-oracle.js';
import { periodQuery } from '../../libs/metrics/src/windows.js';

let db: TestDatabase;
const dataDir = mkdtempSync(join(tmpdir(), 'stat-crash-chdb-'));
const slot = uniqueName('slot');

function startIngest(args: string[] = []): { child: ChildProcess; output: string[]; exited: Promise<number | null> } {
  const child = spawn(fromRoot('node_modules', '.bin', 'vite-node'), [fromRoot('apps', 'ingest', 'src', 'main.ts'), '--', ...args], {
    cwd: fromRoot(),
    env: {
      ...process.env,
      DATABASE_URL: db.url,
      CLICKHOUSE_DATA_DIR: dataDir,
      INGEST_SLOT: slot,
      INGEST_PUBLICATION: slot,
      INGEST_BATCH_ROWS: '100',
      INGEST_BATCH_DELAY_MS: '5',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  child.stdout!.on('data', (chunk: Buffer) => output.push(...chunk.toString().split('\n').filter(Boolean)));
  child.stderr!.on('data', (chunk: Buffer) => output.push(...chunk.toString().split('\n').filter(Boolean)));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output, exited };
}

async function until(condition: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

beforeAll(async () => {
  db = await createTestDatabase();
  await seedDemoData(db.pool, { requests: 1500, seed: 3 });
});

afterAll(async () => {
  await db?.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

it('resumes after SIGKILL mid-stream with exact numbers', async () => {
  const first = startIngest();
  await until(() => first.output.includes('streaming'), 'the first ingest to stream');
  const workload = runRandomWorkload(db.pool, { steps: 1500, seed: 21 });
  // Kill once some batches have landed but while changes keep coming.
  await until(() => first.output.filter((line) => line.startsWith('applied')).length >= 5, 'batches to land', 120_000);
  first.child.kill('SIGKILL');
  await first.exited;
  await workload;

  const second = startIngest(['--until-caught-up']);
  const code = await second.exited;
  expect(code, second.output.slice(-20).join('\n')).toBe(0);
  expect(second.output).toContain('caught-up');

  const clickhouse = await EmbeddedClickHouse.open(dataDir, 'depanneteliman');
  try {
    const now = new Date();
    const served = await computeGlobalStatistics(clickhouse, periodQuery('all', now));
    const expected = await globalStatisticsOnPostgres(db.pool, { period: 'all', now });
    expect(served).toEqual(expected);
    for (const table of ['depannage_repairrequest', 'depannage_payment', 'depannage_review', 'users_user', 'users_auditlog']) {
      const [row] = await clickhouse.query<{ n: string }>(`SELECT count() AS n FROM ${table} FINAL`);
      const { rows } = await db.pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`);
      expect(Number(row!.n), table).toBe(Number(rows[0]!.n));
    }
  } finally {
    await clickhouse.close();
  }
});
