// Opens the service's own state store: Postgres when STATE_DATABASE_URL is set (several replicas),
// else the SQLite file at STATE_SQLITE_PATH; migrated before it is returned.
import { Logger } from '@nestjs/common';
import type { AppConfig } from '../../config/src/config.js';
import { migrateStateStore } from './migrations.js';
import { PostgresStateStore } from './postgres.js';
import { SqliteStateStore } from './sqlite.js';
import type { StateStore } from './store.js';

export type StateStoreConfig = Pick<AppConfig, 'stateDatabaseUrl' | 'stateSqlitePath'>;

/** The store without migrations (tests of the migration runner); the service uses openStateStore. */
export async function connectStateStore(config: StateStoreConfig): Promise<StateStore> {
  return config.stateDatabaseUrl ? PostgresStateStore.connect(config.stateDatabaseUrl) : new SqliteStateStore(config.stateSqlitePath);
}

export async function openStateStore(config: StateStoreConfig): Promise<StateStore> {
  const logger = new Logger('statistics.state');
  const store = await connectStateStore(config);
  try {
    const migrations = await migrateStateStore(store);
    logger.log({
      message: 'state store open',
      dialect: store.dialect,
      ...(store.dialect === 'sqlite' ? { path: config.stateSqlitePath } : {}),
      migrations_applied: migrations.applied,
      migrations_already_applied: migrations.alreadyApplied,
    });
    return store;
  } catch (error) {
    await store.close();
    throw error;
  }
}
