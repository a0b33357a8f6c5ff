// Real components for medium tests: a fresh operational database on the test Postgres server
// (logical replication enabled), and a fresh embedded ClickHouse with migrations applied.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { EmbeddedClickHouse } from '../../libs/clickhouse/src/embedded.js';
import { runMigrations } from '../../libs/clickhouse/src/migrations.js';
import { fromRoot } from '../../libs/config/src/paths.js';
import { createOperationalSchema } from '../../apps/demo/src/operational-schema.js';

export const ADMIN_URL = process.env.DATABASE_TEST_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  name: string;
  url: string;
  pool: pg.Pool;
  /** Drops replication slots and publications of this database, then the database. */
  drop(): Promise<void>;
}

function databaseUrl(name: string): string {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

/**
 * Drops a database once our own connections to it have closed. pg's Pool.end() resolves when its
 * clients are asked to end, not when their connections are gone: a DROP … WITH (FORCE) at once
 * terminates a connection still closing, and its client emits an uncaught error.
 */
export async function dropDatabase(admin: pg.Client, name: string): Promise<void> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const { rows } = await admin.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [name]);
    if (rows[0]!.n === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
}

export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
}

export async function createTestDatabase(options: { schema?: boolean } = {}): Promise<TestDatabase> {
  const name = uniqueName('stat_test');
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = databaseUrl(name);
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  if (options.schema !== false) await createOperationalSchema(pool);
  return {
    name,
    url,
    pool,
    async drop() {
      await pool.end();
      const client = new pg.Client({ connectionString: ADMIN_URL });
      await client.connect();
      try {
        const slots = await client.query<{ slot_name: string; active_pid: number | null }>(
          'SELECT slot_name, active_pid FROM pg_replication_slots WHERE database = $1',
          [name],
        );
        for (const slot of slots.rows) {
          if (slot.active_pid) await client.query('SELECT pg_terminate_backend($1)', [slot.active_pid]);
        }
        for (const slot of slots.rows) {
          for (let attempt = 0; ; attempt++) {
            try {
              await client.query('SELECT pg_drop_replication_slot($1)', [slot.slot_name]);
              break;
            } catch (error) {
              if (attempt >= 50) throw error;
              await new Promise((resolve) => setTimeout(resolve, 100));
            }
          }
        }
        await dropDatabase(client, name);
      } finally {
        await client.end();
      }
    },
  };
}

export interface TestClickHouse {
  clickhouse: EmbeddedClickHouse;
  dataDir: string;
  /** Closes the session and deletes the data directory. */
  destroy(): Promise<void>;
}

export async function createTestClickHouse(dataDir?: string): Promise<TestClickHouse> {
  const directory = dataDir ?? mkdtempSync(join(tmpdir(), 'stat-chdb-'));
  const clickhouse = await EmbeddedClickHouse.open(directory, 'depanneteliman');
  await runMigrations(clickhouse, fromRoot('clickhouse', 'migrations'));
  return {
    clickhouse,
    dataDir: directory,
    async destroy() {
      await clickhouse.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
