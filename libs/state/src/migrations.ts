// Applies state/migrations/<dialect>/NNNN_name.sql in order, one statement per file (file rules and
// checksums as for ClickHouse: the same readMigrations), recording each in state_migrations with its
// checksum: an applied file that later changes is refused by name (write a new migration instead).
// Every pending migration and its record run in one transaction under a lock, so replicas starting
// together apply each migration once and a failed migration leaves nothing behind (DDL is
// transactional on both dialects). The lock: pg_advisory_xact_lock on Postgres; on SQLite the
// transaction's BEGIN IMMEDIATE (the file's single write lock).
import { readMigrations } from '../../clickhouse/src/migrations.js';
import { fromRoot } from '../../config/src/paths.js';
import type { StateDialect, StateStore } from './store.js';

const LOCK_NAME = 'depanneteliman_statistics.state_migrations';

export function stateMigrationsDirectory(dialect: StateDialect): string {
  return fromRoot('state', 'migrations', dialect);
}

export interface StateMigrationResult {
  /** version_name of each migration applied by this call. */
  applied: string[];
  alreadyApplied: number;
}

export class StateMigrationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StateMigrationError';
  }
}

export async function migrateStateStore(
  store: StateStore,
  directory: string = stateMigrationsDirectory(store.dialect),
): Promise<StateMigrationResult> {
  const migrations = readMigrations(directory);
  return store.transaction(async (tx) => {
    if (tx.dialect === 'postgres') await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [LOCK_NAME]);
    await tx.execute(
      `CREATE TABLE IF NOT EXISTS state_migrations (
         version    text NOT NULL PRIMARY KEY,
         name       text NOT NULL,
         checksum   text NOT NULL,
         applied_at text NOT NULL
       )`,
    );
    const rows = await tx.query<{ version: string; checksum: string }>('SELECT version, checksum FROM state_migrations ORDER BY version');
    const applied = new Map(rows.map((row) => [row.version, row.checksum]));
    const result: StateMigrationResult = { applied: [], alreadyApplied: 0 };
    for (const migration of migrations) {
      const label = `${migration.version}_${migration.name}`;
      const checksum = applied.get(migration.version);
      if (checksum !== undefined) {
        if (checksum !== migration.checksum) {
          throw new StateMigrationError(
            `state migration ${label} (${store.dialect}) changed after it was applied (checksum mismatch); add a new migration instead`,
          );
        }
        result.alreadyApplied += 1;
        continue;
      }
      await tx.execute(migration.sql);
      await tx.execute('INSERT INTO state_migrations (version, name, checksum, applied_at) VALUES ($1, $2, $3, $4)', [
        migration.version,
        migration.name,
        migration.checksum,
        new Date().toISOString(),
      ]);
      result.applied.push(label);
    }
    return result;
  });
}
