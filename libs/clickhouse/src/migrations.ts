// Applies clickhouse/migrations/*.sql in order, one statement per file, recording each file's
// checksum: an applied file that later changes is refused (write a new migration instead).
// A file whose first line is `-- server-only` (access control: roles, settings profiles, grants,
// which the embedded engine has no storage for) runs on a ClickHouse server only; on the embedded
// engine it is recorded as skipped, so the file is still checksummed and never run later.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClickHouse } from './clickhouse.js';

export interface Migration {
  version: string;
  name: string;
  sql: string;
  checksum: string;
  serverOnly: boolean;
}

const SERVER_ONLY_MARKER = /^--\s*server-only\s*$/;

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
      return {
        version: match[1]!,
        name: match[2]!,
        sql,
        checksum: createHash('sha256').update(sql).digest('hex'),
        serverOnly: SERVER_ONLY_MARKER.test(sql.split('\n')[0]!.trim()),
      };
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
  /** Server-only migrations recorded without running (embedded engine). */
  skipped: string[];
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
    // Added after the first deployments: ADD COLUMN IF NOT EXISTS upgrades their table in place.
    await clickhouse.command('ALTER TABLE schema_migrations ADD COLUMN IF NOT EXISTS skipped UInt8 DEFAULT 0');
    const rows = await clickhouse.query<{ version: string; checksum: string }>(
      'SELECT version, checksum FROM schema_migrations ORDER BY version',
    );
    const applied = new Map(rows.map((row) => [row.version, row.checksum]));
    const result: MigrationResult = { applied: [], skipped: [], alreadyApplied: 0 };
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
      const skip = migration.serverOnly && clickhouse.engine === 'embedded';
      if (!skip) await clickhouse.command(migration.sql);
      await clickhouse.command(
        'INSERT INTO schema_migrations (version, name, checksum, skipped) VALUES ({version:String}, {name:String}, {checksum:String}, {skipped:UInt8})',
        { version: migration.version, name: migration.name, checksum: migration.checksum, skipped: skip ? 1 : 0 },
      );
      (skip ? result.skipped : result.applied).push(`${migration.version}_${migration.name}`);
    }
    return result;
  });
}
