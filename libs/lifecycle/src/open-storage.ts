// What every process of the service opens first, API or standalone ingest: the operational
// database's pool, the ClickHouse engine (unless the caller gives one) and the engine's migrations,
// under the lock every process takes (an API and an ingest service starting together: the second
// finds nothing to do). Each is registered in the caller's StopSequence as it opens.
import type { Logger } from '@nestjs/common';
import pg from 'pg';
import type { ClickHouse } from '../../clickhouse/src/clickhouse.js';
import { runMigrationsUnderLock } from '../../clickhouse/src/migration-lock.js';
import { openClickHouse } from '../../clickhouse/src/open.js';
import type { AppConfig } from '../../config/src/config.js';
import { fromRoot } from '../../config/src/paths.js';
import type { StopSequence } from './stop-sequence.js';

export interface Storage {
  operationalDb: pg.Pool;
  clickhouse: ClickHouse;
  /** True while an embedded engine opened here is open: exiting then may wait on its exit handlers. */
  engineOpen(): boolean;
}

export interface StorageOptions {
  databaseUrl: string;
  /** Connections of the operational pool. */
  poolSize: number;
  /** An engine opened by the caller (tests share one embedded engine between roles); not closed here. */
  clickhouse?: ClickHouse;
}

export async function openStorage(config: AppConfig, options: StorageOptions, stops: StopSequence, logger: Pick<Logger, 'log' | 'error' | 'debug'>): Promise<Storage> {
  const operationalDb = new pg.Pool({ connectionString: options.databaseUrl, max: options.poolSize, options: '-c TimeZone=UTC' });
  operationalDb.on('error', (error) => logger.error({ message: 'operational database pool error', error: error.message }));
  stops.add('operational database pool', () => operationalDb.end());

  let engineOpen = false;
  let clickhouse = options.clickhouse;
  if (!clickhouse) {
    const opened = await openClickHouse({ url: config.clickhouseUrl, dataDir: config.clickhouseDataDir, database: config.clickhouseDatabase });
    engineOpen = opened.engine === 'embedded';
    stops.add('ClickHouse', async () => {
      await opened.close();
      engineOpen = false;
    });
    clickhouse = opened;
  }

  const migrations = await runMigrationsUnderLock(clickhouse, fromRoot('clickhouse', 'migrations'), operationalDb);
  if (migrations.applied.length + migrations.skipped.length > 0) {
    // One line at INFO (a first start applies some forty); the names at DEBUG.
    logger.log(`clickhouse migrations applied: ${migrations.applied.length} (${migrations.skipped.length} server-only skipped)`);
    logger.debug({ message: 'clickhouse migrations applied', applied: migrations.applied, skipped_server_only: migrations.skipped });
  }
  return { operationalDb, clickhouse, engineOpen: () => engineOpen };
}
