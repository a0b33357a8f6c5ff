// Migrations: applied in order once, recorded with a checksum; an applied file that changes is refused.
import { cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
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
  const clickhouse = await EmbeddedClickHouse.open(dataDir, 'depanneteliman');
  try {
    expect((await runMigrations(clickhouse, migrationsDir)).applied).toHaveLength(count);
    expect(await runMigrations(clickhouse, migrationsDir)).toEqual({ applied: [], alreadyApplied: count });
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
