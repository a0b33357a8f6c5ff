// Starts the whole service in-process against a test database and a throwaway embedded ClickHouse,
// with its state in a throwaway SQLite file unless the test gives STATE_SQLITE_PATH or
// STATE_DATABASE_URL (e.g. to restart on the same state).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../libs/config/src/config.js';
import { startRuntime, type Runtime } from '../../apps/service/src/runtime.js';
import { uniqueName, type TestDatabase } from './databases.js';

export const TEST_JWT_SECRET = 'test-secret-not-for-production';

export interface TestRuntime extends Runtime {
  clickhouseDir: string;
  /** Deletes the ClickHouse directory and the throwaway state file, if the factory made one. */
  destroy(): Promise<void>;
}

export async function startTestRuntime(
  db: TestDatabase,
  env: Record<string, string> = {},
  options: { awaitReady?: boolean } = {},
): Promise<TestRuntime> {
  const clickhouseDir = mkdtempSync(join(tmpdir(), 'stat-api-chdb-'));
  const stateDir = env.STATE_SQLITE_PATH || env.STATE_DATABASE_URL ? null : mkdtempSync(join(tmpdir(), 'stat-api-state-'));
  const slot = uniqueName('slot');
  const config = loadConfig({
    DATABASE_URL: db.url,
    CLICKHOUSE_DATA_DIR: clickhouseDir,
    JWT_SECRET: TEST_JWT_SECRET,
    PORT: '0',
    HOST: '127.0.0.1',
    INGEST_SLOT: slot,
    INGEST_PUBLICATION: slot,
    INGEST_BATCH_DELAY_MS: '20',
    ...(stateDir ? { STATE_SQLITE_PATH: join(stateDir, 'state.sqlite') } : {}),
    ...env,
  });
  let runtime: Runtime;
  try {
    runtime = await startRuntime(config, { logger: false });
  } catch (error) {
    rmSync(clickhouseDir, { recursive: true, force: true });
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
    throw error;
  }
  if (options.awaitReady !== false) await runtime.ready;
  return {
    ...runtime,
    clickhouseDir,
    async destroy() {
      await runtime.close();
      rmSync(clickhouseDir, { recursive: true, force: true });
      if (stateDir) rmSync(stateDir, { recursive: true, force: true });
    },
  };
}
