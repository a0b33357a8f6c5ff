// Bare CDC worker: DATABASE_URL → ClickHouse, without the API, printing each applied batch on
// stdout (tests kill it mid-stream). The ingest *service* beside API processes, with its feed to
// Redis and its health server, is `SERVICE_ROLE=ingest node dist/apps/service/src/main.js`
// (apps/ingest/src/service.ts). With an embedded ClickHouse only one process may own the data
// directory, so `npm start` runs the ingest inside the API process.
//   --until-caught-up   exit 0 once every change committed before the start is in ClickHouse
import 'reflect-metadata';
import { ConsoleLogger, Logger } from '@nestjs/common';
import { runMigrations } from '../../../libs/clickhouse/src/migrations.js';
import { openClickHouse } from '../../../libs/clickhouse/src/open.js';
import { ConfigError, loadConfig } from '../../../libs/config/src/config.js';
import { nestLogLevels } from '../../../libs/config/src/log-levels.js';
import { fromRoot } from '../../../libs/config/src/paths.js';
import { Ingest, ingestSettings } from './ingest.js';

async function main(): Promise<void> {
  const config = loadConfig();
  Logger.overrideLogger(new ConsoleLogger({ json: config.logFormat === 'json', colors: false, logLevels: nestLogLevels(config.logLevel) }));
  if (!config.databaseUrl) throw new ConfigError('DATABASE_URL', 'required by the standalone ingest');
  const clickhouse = await openClickHouse({ url: config.clickhouseUrl, dataDir: config.clickhouseDataDir, database: config.clickhouseDatabase });
  await runMigrations(clickhouse, fromRoot('clickhouse', 'migrations'));
  const ingest = new Ingest({
    databaseUrl: config.databaseUrl,
    clickhouse,
    ...ingestSettings(config),
  });
  ingest.on('applied', (batch: { lsn: bigint; changes: number }) => {
    process.stdout.write(`applied ${batch.changes} ${batch.lsn}\n`);
  });
  await ingest.start();
  process.stdout.write('streaming\n');
  const stop = async (code: number): Promise<never> => {
    await ingest.stop();
    await clickhouse.close();
    process.exit(code);
  };
  if (process.argv.includes('--until-caught-up')) {
    await ingest.catchUp(120_000);
    process.stdout.write('caught-up\n');
    await stop(0);
  }
  process.on('SIGTERM', () => void stop(0));
  process.on('SIGINT', () => void stop(0));
}

main().catch((error: unknown) => {
  process.stderr.write(`ingest failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exit(1);
});
