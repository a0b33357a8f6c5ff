// SERVICE_ROLE=all: the API with the CDC ingest in this process (apps/api runtime + apps/ingest),
// against the operational database of DATABASE_URL.
import type { AppConfig } from '../../../libs/config/src/config.js';
import { startApiWithIngest, type RuntimeOptions, type RuntimeWithIngest } from '../../api/src/runtime.js';
import { Ingest, ingestSettings } from '../../ingest/src/ingest.js';

export type { RuntimeOptions } from '../../api/src/runtime.js';

/** The API and its ingest in one process. */
export type Runtime = RuntimeWithIngest<Ingest>;

export function startRuntime(config: AppConfig, options: RuntimeOptions = {}): Promise<Runtime> {
  return startApiWithIngest(config, options, ({ clickhouse, databaseUrl }) => new Ingest({ databaseUrl, clickhouse, ...ingestSettings(config) }));
}
