import type { ClickHouse } from './clickhouse.js';
import { EmbeddedClickHouse } from './embedded.js';
import { ServerClickHouse } from './server.js';

/** Opens the engine the configuration names: a server when CLICKHOUSE_URL is set, else embedded chdb. */
export async function openClickHouse(options: {
  url: string | undefined;
  dataDir: string;
  database: string;
}): Promise<ClickHouse> {
  return options.url
    ? ServerClickHouse.connect(options.url, options.database)
    : EmbeddedClickHouse.open(options.dataDir, options.database);
}
