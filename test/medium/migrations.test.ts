// Migrations: applied in order once, recorded with a checksum; an applied file that changes is refused.
// Server-only migrations (access control) are recorded as skipped on the embedded engine.
import { cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import type { ClickHouse } from '../../libs/clickhouse/src/clickhouse.js';
import { EmbeddedClickHouse } from '../../libs/clickhouse/src/embedded.js';
import { readMigrations, runMigrations } from '../../libs/clickhouse/src/migrations.js';
import { fromRoot } from '../../libs/config/src/paths.js';

const dataDir = mkdtempSync(join(tmpdir(), 'stat-migrations-'));
const migrationsDir = mkdtempSync(join(tmpdir(), 'stat-migration-files-'));
afterAll(() => {
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(migrationsDir, { recursive: true, force: true });
});

it('applies every migration once and refuses an edited one', async () => {
  cpSync(fromRoot('clickhouse', 'migrations'), migrationsDir, { recursive: true });
  const count = readdirSync(migrationsDir).length;
  const serverOnly = readMigrations(migrationsDir).filter((migration) => migration.serverOnly).map((m) => `${m.version}_${m.name}`);
  expect(serverOnly).toEqual(['0040_analyst_settings_profile', '0041_analyst_role', '0042_analyst_role_select']);
  const clickhouse = await EmbeddedClickHouse.open(dataDir, 'depanneteliman');
  try {
    const first = await runMigrations(clickhouse, migrationsDir);
    expect(first.applied).toHaveLength(count - serverOnly.length);
    expect(first.skipped).toEqual(serverOnly);
    const recorded = await clickhouse.query<{ version: string; skipped: number }>(
      'SELECT version, skipped FROM schema_migrations WHERE skipped = 1 ORDER BY version',
    );
    expect(recorded.map((row) => row.version)).toEqual(['0040', '0041', '0042']);
    expect(await runMigrations(clickhouse, migrationsDir)).toEqual({ applied: [], skipped: [], alreadyApplied: count });
    writeFileSync(join(migrationsDir, '0001_users_user.sql'), 'CREATE TABLE IF NOT EXISTS users_user (id Int64) ENGINE = Memory');
    await expect(runMigrations(clickhouse, migrationsDir)).rejects.toThrow(/0001_users_user changed after it was applied/);
  } finally {
    await clickhouse.close();
  }
});

it('refuses a file with two statements or a bad name', () => {
  const dir = mkdtempSync(join(tmpdir(), 'stat-bad-migrations-'));
  try {
    writeFileSync(join(dir, '0001_two.sql'), 'SELECT 1; SELECT 2');
    expect(() => readMigrations(dir)).toThrow(/more than one statement/);
    rmSync(join(dir, '0001_two.sql'));
    writeFileSync(join(dir, 'create-things.sql'), 'SELECT 1');
    expect(() => readMigrations(dir)).toThrow(/must look like 0001_name.sql/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

it('server-only migrations parse, and run on a server but not on the embedded engine', async () => {
  const embeddedDir = mkdtempSync(join(tmpdir(), 'stat-server-only-'));
  const files = mkdtempSync(join(tmpdir(), 'stat-server-only-files-'));
  const clickhouse = await EmbeddedClickHouse.open(embeddedDir, 'depanneteliman');
  try {
    // chdb has no access storage (CREATE ROLE is ACCESS_DENIED), so the real files are checked
    // with ClickHouse's parser: a typo would only show on the first server deployment otherwise.
    for (const migration of readMigrations(fromRoot('clickhouse', 'migrations')).filter((m) => m.serverOnly)) {
      const [row] = await clickhouse.query<{ formatted: string }>('SELECT formatQuery({sql:String}) AS formatted', { sql: migration.sql });
      expect(row!.formatted).toMatch(/^(CREATE SETTINGS PROFILE|CREATE ROLE|GRANT SELECT)/);
    }
    writeFileSync(join(files, '0001_everywhere.sql'), 'CREATE TABLE everywhere (id UInt8) ENGINE = Memory');
    writeFileSync(join(files, '0002_on_server.sql'), '-- server-only\nCREATE TABLE on_server (id UInt8) ENGINE = Memory');
    // The same engine presented as a server: the runner decides on `engine` alone.
    const asServer: ClickHouse = Object.assign(Object.create(clickhouse) as ClickHouse, { engine: 'server' as const });
    await clickhouse.command('CREATE DATABASE IF NOT EXISTS as_embedded');
    await clickhouse.command('USE as_embedded');
    expect(await runMigrations(clickhouse, files)).toEqual({ applied: ['0001_everywhere'], skipped: ['0002_on_server'], alreadyApplied: 0 });
    expect(await clickhouse.query("SELECT name FROM system.tables WHERE database = 'as_embedded' AND name = 'on_server'")).toEqual([]);
    await clickhouse.command('CREATE DATABASE IF NOT EXISTS as_server');
    await clickhouse.command('USE as_server');
    expect(await runMigrations(asServer, files)).toEqual({ applied: ['0001_everywhere', '0002_on_server'], skipped: [], alreadyApplied: 0 });
    expect(await clickhouse.query("SELECT name FROM system.tables WHERE database = 'as_server' AND name = 'on_server'")).toEqual([{ name: 'on_server' }]);
  } finally {
    await clickhouse.close();
    rmSync(embeddedDir, { recursive: true, force: true });
    rmSync(files, { recursive: true, force: true });
  }
});
