// Migrations under a lock that every process starting against the same data takes: ClickHouse has
// no lock of its own, so the processes (API and ingest services, replicas) serialise on a Postgres
// advisory lock in the operational database they all reach. The second one finds nothing to apply.
import type pg from 'pg';
import type { ClickHouse } from './clickhouse.js';
import { runMigrations, type MigrationResult } from './migrations.js';

const MIGRATIONS_LOCK = 'depanneteliman_statistics.clickhouse_migrations';

export async function runMigrationsUnderLock(clickhouse: ClickHouse, directory: string, operationalDb: pg.Pool): Promise<MigrationResult> {
  return runMigrations(clickhouse, directory, async (work) => {
    const client = await operationalDb.connect();
    // Checked out, the client has no pool listener for a lost connection; the query fails anyway.
    let lost: Error | undefined;
    const onLost = (error: Error): void => {
      lost = error;
    };
    client.on('error', onLost);
    try {
      await client.query('SELECT pg_advisory_lock(hashtext($1))', [MIGRATIONS_LOCK]);
      try {
        return await work();
      } finally {
        await client.query('SELECT pg_advisory_unlock(hashtext($1))', [MIGRATIONS_LOCK]);
      }
    } finally {
      client.off('error', onLost);
      client.release(lost);
    }
  });
}
