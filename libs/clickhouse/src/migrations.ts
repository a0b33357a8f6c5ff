// Applies clickhouse/migrations/*.sql in order, one statement per file, recording each file's
// checksum: an applied file that later changes is refused (write a new migration instead).
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClickHouse } from './clickhouse.js';

export interface Migration {
  version: string;
  name: string;
  sql: string;
  checksum: string;
}

const FILE_PATTERN = /^(\d{4})_([a-z0-9_]+)\.sql$/;

export function readMigrations(directory: string): Migration[] {
  const migrations = readdirSync(directory)
    .filter((file) => file.endsWith('.sql'))
    .sort()
    .map((file) => {
      const match = FILE_PATTERN.exec(file);
      if (!match) throw new Error(`migration file name ${file} must look like 0001_name.sql`);
      const sql = readFileSync(join(directory, file), 'utf8').trim().replace(/;\s*$/, '');
      if (/;\s*\S/.test(sql.replace(/--[^\n]*/g, '').replace(/'(?:[^'\\]|\\.)*'/g, "''"))) {
        throw new Error(`migration ${file} holds more than one statement; split it`);
      }
      return { version: match[1]!, name: match[2]!, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    });
  const versions = new Set<string>();
  for (const migration of migrations) {
    if (versions.has(migration.version)) throw new Error(`two migrations share version ${migration.version}`);
    versions.add(migration.version);
  }
  return migrations;
}

export interface MigrationResult {
  applied: string[];
  alreadyApplied: number;
}

/**
 * `withLock` serialises concurrent runners (several API replicas against one server); the caller
 * provides it, e.g. a Postgres advisory lock, since ClickHouse has no lock primitive.
 */
export async function runMigrations(
  clickhouse: ClickHouse,
  directory: string,
  withLock: <T>(work: () => Promise<T>) => Promise<T> = (work) => work(),
): Promise<MigrationResult> {
  const migrations = readMigrations(directory);
  return withLock(async () => {
    await clickhouse.command(
      `CREATE TABLE IF NOT EXISTS schema_migrations (
         version String, name String, checksum String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3)
       ) ENGINE = MergeTree ORDER BY version`,
    );
    const rows = await clickhouse.query<{ version: string; checksum: string }>(
      'SELECT version, checksum FROM schema_migrations ORDER BY version',
    );
    const applied = new Map(rows.map((row) => [row.version, row.checksum]));
    const result: MigrationResult = { applied: [], alreadyApplied: 0 };
    for (const migration of migrations) {
      const checksum = applied.get(migration.version);
      if (checksum !== undefined) {
        if (checksum !== migration.checksum) {
          throw new Error(
            `migration ${migration.version}_${migration.name} changed after it was applied (checksum mismatch); add a new migration instead`,
          );
        }
        result.alreadyApplied += 1;
        continue;
      }
      await clickhouse.command(migration.sql);
      await clickhouse.command(
        'INSERT INTO schema_migrations (version, name, checksum) VALUES ({version:String}, {name:String}, {checksum:String})',
        { version: migration.version, name: migration.name, checksum: migration.checksum },
      );
      result.applied.push(`${migration.version}_${migration.name}`);
    }
    return result;
  });
}
